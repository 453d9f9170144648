package ops

import (
	"testing"
	"time"

	"github.com/stopline/stopline/detect"
)

// noCounters is a worker with no camera and an empty outbox.
type noCounters struct{}

func (noCounters) CameraCounters() []CameraCounters { return nil }
func (noCounters) OutboxCounters() OutboxCounters   { return OutboxCounters{} }

// Recording a frame's timings, a decode and a violation allocates nothing:
// they happen on every frame of every camera.
func TestCameraMetricsAllocateNothing(t *testing.T) {
	c := NewMetrics(noCounters{}, "test").Camera("cam-01")
	tm := detect.Timings{Detect: 12 * time.Millisecond, Inference: 9 * time.Millisecond, Rules: 80 * time.Microsecond}
	if n := testing.AllocsPerRun(100, func() {
		c.Decoded(3 * time.Millisecond)
		c.Analysed(tm, 150*time.Millisecond)
		c.Violation(detect.TypeWrongWay)
		c.Built(time.Second)
	}); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
	var none *CameraMetrics // edge replay keeps none
	none.Analysed(tm, time.Second)
	none.Violation(detect.TypeRedLight)
}

// A camera that did not start leaves no series behind.
func TestForgetRemovesACamerasSeries(t *testing.T) {
	m := NewMetrics(noCounters{}, "test")
	m.Camera("up")
	m.Camera("failed")
	m.Forget("failed")
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	cameras := map[string]bool{}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "camera" {
					cameras[l.GetValue()] = true
				}
			}
		}
	}
	if !cameras["up"] || cameras["failed"] {
		t.Errorf("series for cameras %v, want up only", cameras)
	}
}
