package plate

import (
	"image"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// processCPU is the CPU time the process has used, user and system: on a
// shared machine steadier than the wall clock.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReadPlate measures one Read of a vehicle's plate, the whole
// crop as the vehicle's box: a motorbike's two-line plate and a car's
// one-line plate, at the photos' resolution (plates 350-410 px wide) and
// shrunk to a quarter (90-100 px, what a traffic camera's record stream
// gives). Run it on one core, as an edge box would read plates beside its
// cameras:
//
//	GOMAXPROCS=1 taskset -c 0 go test ./plate/ -run '^$' -bench ReadPlate
func BenchmarkReadPlate(b *testing.B) {
	r := newTestReader(b)
	for _, c := range []struct {
		name, image string
		scale       float64
	}{
		{"motorbike", "images/clip3_new_5_p1.jpg", 1},
		{"car", "images/clip4_new_3_p0.jpg", 1},
		{"motorbike-quarter", "images/clip3_new_5_p1.jpg", 0.25},
		{"car-quarter", "images/clip4_new_3_p0.jpg", 0.25},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := label(b, c.image)
			img := readImage(b, c.image)
			if c.scale != 1 {
				gocv.Resize(img, &img, image.Pt(0, 0), c.scale, c.scale, gocv.InterpolationArea)
			}
			res, err := r.Read(img, whole(img))
			if err != nil || res.Text != l.Text {
				b.Fatalf("read %q (%s), %v; want %s", res.Text, res.Reason, err, l.Text)
			}
			n := 0
			cpu := processCPU(b)
			for b.Loop() {
				if _, err := r.Read(img, whole(img)); err != nil {
					b.Fatal(err)
				}
				n++
			}
			cpu = processCPU(b) - cpu
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(n), "ms/plate")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms/plate")
		})
	}
}
