package detect

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
	"gopkg.in/yaml.v3"
)

// clipLabels is a file of testdata/labels (see the README there): a line
// drawn for a clip and every crossing of it a person saw.
type clipLabels struct {
	Clip      string `yaml:"clip"`
	Size      [2]int `yaml:"size"`
	Line      Line   `yaml:"line"`
	Crossings []struct {
		T         float64 `yaml:"t"`
		Direction string  `yaml:"direction"`
		Vehicle   string  `yaml:"vehicle"`
		Violation bool    `yaml:"violation"`
	} `yaml:"crossings"`
}

func readClipLabels(t *testing.T, clip string) clipLabels {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(clip), ".mp4") + ".yaml"
	b, err := os.ReadFile(filepath.Join("..", "testdata", "labels", name))
	if err != nil {
		t.Fatal(err)
	}
	var l clipLabels
	if err := yaml.Unmarshal(b, &l); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return l
}

// TestPipelineFindsLabelledWrongWay runs each labelled clip through a
// pipeline with the labelled line and compares the violations with the
// labelled wrong-way crossings. A label and a violation match when they
// are within half a second of each other; a miss or an extra is allowed
// per clip, since motion blobs are not the vehicles a person sees.
func TestPipelineFindsLabelledWrongWay(t *testing.T) {
	for _, clip := range []string{twoWayClip, topDownClip} {
		t.Run(filepath.Base(clip), func(t *testing.T) {
			lab := readClipLabels(t, clip)
			cfg := DefaultConfig(lab.Size[0], lab.Size[1])
			cfg.Mode = ModeMotion // these frames are grey
			cfg.Scene.Lines = []Line{lab.Line}
			p, err := NewPipeline(cfg, Deps{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()

			t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
			var got []float64
			var buf []byte
			eachGreyFrame(t, clip, 0, func(i int, grey gocv.Mat) bool {
				buf = greyBytes(t, grey, buf)
				vs, err := p.Process(buf, t0.Add(time.Duration(float64(i)/lab.fps()*float64(time.Second))))
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				for _, v := range vs {
					got = append(got, v.Time.Sub(t0).Seconds())
				}
				return true
			})

			var want []float64
			for _, c := range lab.Crossings {
				if c.Violation {
					want = append(want, c.T)
				}
			}
			missed, extra := matchTimes(want, got, 0.5)
			t.Logf("labelled %v\nfound    %s", want, fmtTimes(got))
			if len(missed) > 1 || len(extra) > 1 {
				t.Errorf("missed %v, extra %v: want at most one of each", missed, extra)
			}
		})
	}
}

// fps is the clip's frame rate, near enough for timestamps.
func (l clipLabels) fps() float64 {
	if strings.Contains(l.Clip, "opencv4nodejs") {
		return 23.98
	}
	return 24
}

// matchTimes pairs each wanted time with the nearest unpaired found time
// within tol seconds and returns what is left on either side.
func matchTimes(want, got []float64, tol float64) (missed, extra []float64) {
	used := make([]bool, len(got))
	for _, w := range want {
		best := -1
		for i, g := range got {
			if !used[i] && math.Abs(g-w) <= tol && (best < 0 || math.Abs(g-w) < math.Abs(got[best]-w)) {
				best = i
			}
		}
		if best < 0 {
			missed = append(missed, w)
			continue
		}
		used[best] = true
	}
	for i, g := range got {
		if !used[i] {
			extra = append(extra, g)
		}
	}
	return missed, extra
}

func fmtTimes(ts []float64) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = fmt.Sprintf("%.2f", t)
	}
	return "[" + strings.Join(s, " ") + "]"
}
