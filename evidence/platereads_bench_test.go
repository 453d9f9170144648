package evidence

import (
	"syscall"
	"testing"
	"time"

	"github.com/stopline/stopline/ingest"
)

// cpuTime is the CPU time the process has used, user and system: on a
// shared machine steadier than the wall clock.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPlatePerViolation is what reading the plate adds to building a
// violation's package, in the builder's goroutine (the frame loop never
// pays it):
//
//   - real-1080p: the whole read on the real plate clip (1080p, 10 fps, a
//     keyframe a second), the car's box mapped from 480x270: decode the
//     pictures along 2 s of track in one pass, read the plate on up to 8
//     of them (3 here: the first three agree), vote, encode plate.jpg;
//   - decode-1080p25-g50: the decoding alone on the shape of a camera's
//     main stream (1080p at 25 fps, a keyframe every 2 s: up to 4 s of
//     video decoded for 8 pictures over the 2 s before the offence).
//
// Run it on one core:
//
//	GOMAXPROCS=1 taskset -c 0 go test ./evidence/ -run '^$' -bench PlatePerViolation -benchtime 10x
func BenchmarkPlatePerViolation(b *testing.B) {
	b.Run("real-1080p", func(b *testing.B) {
		reader := plateReader(b)
		want := plateLabel(b)
		cut, _ := cutFromFile(b, plateClip, 0, 3500*time.Millisecond, false)
		bld := &Builder{DetectWidth: 480, DetectHeight: 270, Plates: reader, Plate: PlateConfig{}.WithDefaults()}
		v := parkedViolation(1)
		if o := bld.readPlate(v, cut); o.read.Text != want {
			b.Fatalf("read %q (%s %s), want %s", o.read.Text, o.read.Reason, o.reason, want)
		}
		cpu := cpuTime(b)
		frames := 0
		for b.Loop() {
			frames += bld.readPlate(v, cut).frames
		}
		cpu = cpuTime(b) - cpu
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/violation")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/violation")
		b.ReportMetric(float64(frames)/float64(b.N), "pictures-read")
	})
	b.Run("decode-1080p25-g50", func(b *testing.B) {
		c := loadBenchClip(b)
		base := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)
		r := ingest.NewRingBuffer(ingest.RingConfig{Seconds: 20 * time.Second})
		for _, au := range c.AUs {
			r.Push(liveCopy(c, base, au, false))
		}
		// An offence at 9.9 s: its 2 s window starts in the GOP that
		// starts at 6 s, the worst case for a keyframe every 2 s.
		offence := base.Add(9900 * time.Millisecond)
		cut, err := r.Slice(offence.Add(-5*time.Second), offence.Add(5*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		var samples []int
		for k := range 8 {
			at := offence.Add(-2*time.Second + time.Duration(k)*2*time.Second/7)
			best := 0
			for i, au := range cut.AUs {
				if absDuration(au.Time.Sub(at)) < absDuration(cut.AUs[best].Time.Sub(at)) {
					best = i
				}
			}
			samples = append(samples, best)
		}
		cpu := cpuTime(b)
		for b.Loop() {
			n := 0
			if err := PicturesAt(cut, samples, func(int, *ingest.Frame) error { n++; return nil }); err != nil || n != len(samples) {
				b.Fatalf("%d pictures, %v", n, err)
			}
		}
		cpu = cpuTime(b) - cpu
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/violation")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/violation")
	})
}
