package detect

import "math"

// Hungarian solves rectangular linear assignment problems: given a rows x
// cols cost matrix, it pairs rows with columns, each at most once, so that
// min(rows, cols) pairs are made and the sum of their costs is the least
// possible. It is the shortest-augmenting-path form of the Kuhn-Munkres
// method (Jonker and Volgenant's refinement, with row and column
// potentials), O(n²m) for n = min(rows, cols) and m = max(rows, cols).
//
// A Hungarian keeps its working arrays between calls, so that solving a
// problem of a size already seen allocates nothing. The zero value is ready
// to use; it is not safe for concurrent use.
type Hungarian struct {
	u, v, minv []float64
	p, way     []int
	used       []bool
}

// Solve assigns the rows of cost (row-major, rows*cols values, all finite)
// to its columns at the least total cost and returns rowCol, where
// rowCol[i] is the column given to row i, or -1 when there are more rows
// than columns and row i got none. rowCol is reused when it has the
// capacity. Among assignments of equal cost the one returned is
// deterministic but otherwise unspecified.
//
// To forbid a pair, give it a cost higher than any allowed pair and drop it
// from the answer afterwards.
func (h *Hungarian) Solve(cost []float64, rows, cols int, rowCol []int) []int {
	if len(cost) < rows*cols {
		panic("detect: Hungarian.Solve: cost matrix smaller than rows*cols")
	}
	rowCol = resizeInts(rowCol, rows)
	for i := range rowCol {
		rowCol[i] = -1
	}
	if rows == 0 || cols == 0 {
		return rowCol
	}
	// The algorithm wants n <= m: solve the transpose when there are more
	// rows than columns.
	n, m, transposed := rows, cols, false
	if rows > cols {
		n, m, transposed = cols, rows, true
	}
	at := func(i, j int) float64 { // 1-based row i of n, column j of m
		if transposed {
			return cost[(j-1)*cols+(i-1)]
		}
		return cost[(i-1)*cols+(j-1)]
	}

	h.u = resizeFloats(h.u, n+1)
	h.v = resizeFloats(h.v, m+1)
	h.minv = resizeFloats(h.minv, m+1)
	h.p = resizeInts(h.p, m+1)
	h.way = resizeInts(h.way, m+1)
	h.used = resizeBools(h.used, m+1)
	u, v, minv, p, way, used := h.u, h.v, h.minv, h.p, h.way, h.used
	clear(u)
	clear(v)
	clear(p)
	clear(way)

	// p[j] is the row matched to column j (0: none); column 0 is a
	// virtual column holding the row being inserted.
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = math.Inf(1)
		}
		clear(used)
		for {
			used[j0] = true
			i0, delta, j1 := p[j0], math.Inf(1), 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				if cur := at(i0, j) - u[i0] - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			if j1 == 0 {
				// Only reachable with NaN or infinite costs.
				panic("detect: Hungarian.Solve: cost matrix has a NaN or infinite value")
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		// Flip the augmenting path back to the virtual column.
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}

	for j := 1; j <= m; j++ {
		if p[j] == 0 {
			continue
		}
		if transposed {
			rowCol[j-1] = p[j] - 1
		} else {
			rowCol[p[j]-1] = j - 1
		}
	}
	return rowCol
}

func resizeFloats(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func resizeInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

func resizeBools(s []bool, n int) []bool {
	if cap(s) < n {
		return make([]bool, n)
	}
	return s[:n]
}
