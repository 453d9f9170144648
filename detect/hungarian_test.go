package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bruteForceAssignment is the least total cost over every way of pairing
// min(rows, cols) rows with distinct columns.
func bruteForceAssignment(cost []float64, rows, cols int) float64 {
	best := math.Inf(1)
	usedCol := make([]bool, cols)
	want := min(rows, cols)
	var rec func(row, made int, sum float64)
	rec = func(row, made int, sum float64) {
		if made == want {
			best = min(best, sum)
			return
		}
		if rows-row < want-made { // not enough rows left
			return
		}
		// Either row gets no column (only possible when rows > cols) ...
		if rows-row > want-made {
			rec(row+1, made, sum)
		}
		// ... or one of the free columns.
		for j := 0; j < cols; j++ {
			if !usedCol[j] {
				usedCol[j] = true
				rec(row+1, made+1, sum+cost[row*cols+j])
				usedCol[j] = false
			}
		}
	}
	rec(0, 0, 0)
	return best
}

// checkAssignment fails unless rowCol is a valid assignment of the right
// size and returns its cost.
func checkAssignment(t *testing.T, cost []float64, rows, cols int, rowCol []int) float64 {
	t.Helper()
	if len(rowCol) != rows {
		t.Fatalf("rowCol has %d entries for %d rows", len(rowCol), rows)
	}
	seen := make([]bool, cols)
	sum, made := 0.0, 0
	for i, j := range rowCol {
		if j == -1 {
			continue
		}
		if j < 0 || j >= cols {
			t.Fatalf("row %d assigned to column %d of %d", i, j, cols)
		}
		if seen[j] {
			t.Fatalf("column %d assigned twice: %v", j, rowCol)
		}
		seen[j] = true
		sum += cost[i*cols+j]
		made++
	}
	if made != min(rows, cols) {
		t.Fatalf("%d pairs made, want %d: %v", made, min(rows, cols), rowCol)
	}
	return sum
}

func TestHungarianTable(t *testing.T) {
	tests := []struct {
		name       string
		rows, cols int
		cost       []float64
		want       []int // the unique optimum; nil to check the cost only
		wantCost   float64
	}{
		{"empty", 0, 0, nil, []int{}, 0},
		{"no columns", 2, 0, nil, []int{-1, -1}, 0},
		{"no rows", 0, 3, nil, []int{}, 0},
		{"one by one", 1, 1, []float64{7}, []int{0}, 7},
		{"identity is best", 3, 3, []float64{
			1, 9, 9,
			9, 1, 9,
			9, 9, 1,
		}, []int{0, 1, 2}, 3},
		// Greedy takes the cheapest cell (0,0)=1 first and then must pay
		// 100 for (1,1); the optimum pays 2+2.
		{"greedy trap", 2, 2, []float64{
			1, 2,
			2, 100,
		}, []int{1, 0}, 4},
		{"classic 4x4", 4, 4, []float64{
			82, 83, 69, 92,
			77, 37, 49, 92,
			11, 69, 5, 86,
			8, 9, 98, 23,
		}, []int{2, 1, 0, 3}, 140},
		{"more columns than rows", 2, 4, []float64{
			5, 1, 9, 9,
			9, 2, 3, 9,
		}, []int{1, 2}, 4},
		{"more rows than columns", 4, 2, []float64{
			5, 9,
			1, 2,
			9, 3,
			9, 9,
		}, []int{-1, 0, 1, -1}, 4},
		{"negative costs", 2, 2, []float64{
			-1, -5,
			-4, -1,
		}, []int{1, 0}, -9},
		{"all equal", 3, 3, []float64{
			2, 2, 2,
			2, 2, 2,
			2, 2, 2,
		}, nil, 6},
		{"ties between two optima", 2, 3, []float64{
			1, 1, 5,
			1, 1, 5,
		}, nil, 2},
		// The forbidden-pair convention the tracker uses: cost 1 means
		// "no match"; the solver still fills min(rows, cols) pairs.
		{"forbidden pairs", 2, 2, []float64{
			0.2, 1,
			1, 1,
		}, []int{0, 1}, 1.2},
	}
	var h Hungarian
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := h.Solve(tc.cost, tc.rows, tc.cols, nil)
			sum := checkAssignment(t, tc.cost, tc.rows, tc.cols, got)
			if math.Abs(sum-tc.wantCost) > 1e-9 {
				t.Errorf("cost %g (%v), want %g", sum, got, tc.wantCost)
			}
			if tc.want != nil {
				for i := range tc.want {
					if got[i] != tc.want[i] {
						t.Fatalf("assignment %v, want %v", got, tc.want)
					}
				}
			}
		})
	}
}

func TestHungarianMatchesBruteForce(t *testing.T) {
	var h Hungarian // one solver for all: reuse across sizes must not leak state
	var rowCol []int
	for seed := uint64(1); seed <= 400; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		rows, cols := rng.IntN(7), rng.IntN(7)
		cost := make([]float64, rows*cols)
		ties := seed%3 == 0 // few distinct values: many equal optima
		for i := range cost {
			if ties {
				cost[i] = float64(rng.IntN(3))
			} else {
				cost[i] = rng.Float64()*200 - 50
			}
		}
		rowCol = h.Solve(cost, rows, cols, rowCol)
		got := checkAssignment(t, cost, rows, cols, rowCol)
		if want := bruteForceAssignment(cost, rows, cols); math.Abs(got-want) > 1e-9 {
			t.Fatalf("seed %d (%dx%d, ties %v): cost %g, brute force %g\ncost %v\nassignment %v",
				seed, rows, cols, ties, got, want, cost, rowCol)
		}
	}
}

func TestHungarianReusesItsMemory(t *testing.T) {
	var h Hungarian
	cost := make([]float64, 6*5)
	for i := range cost {
		cost[i] = float64((i * 7) % 11)
	}
	rowCol := h.Solve(cost, 6, 5, nil)
	allocs := testing.AllocsPerRun(100, func() {
		rowCol = h.Solve(cost, 6, 5, rowCol)
		rowCol = h.Solve(cost, 5, 6, rowCol)
	})
	if allocs != 0 {
		t.Errorf("%g allocations per solve of a size seen before, want 0", allocs)
	}
}

func BenchmarkHungarian(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20 // many vehicles in one picture
	cost := make([]float64, n*n)
	for i := range cost {
		cost[i] = rng.Float64()
	}
	var h Hungarian
	var rowCol []int
	for b.Loop() {
		rowCol = h.Solve(cost, n, n, rowCol)
	}
}
