package selfcheck

import (
	"fmt"
	"math"

	"gocv.io/x/gocv"
)

// alignWidth is the width pictures are matched at for the moved check:
// ORB's corner detector needs a picture a few times its patch size, so the
// 160-wide analysis picture is too small.
const alignWidth = 320

// Matching needs this many features agreeing on one transform to judge
// at all: fewer, and the picture has too little texture (night, fog, a
// passing lorry filling the view) to tell moved from unmoved.
const minInliers = 12

// affine maps a point (x, y) of one picture to (a[0]x+a[1]y+a[2],
// a[3]x+a[4]y+a[5]) in another, in alignment pixels.
type affine [6]float64

var identity = affine{1, 0, 0, 0, 1, 0}

// then is the transform that applies a, then b.
func (a affine) then(b affine) affine {
	return affine{
		b[0]*a[0] + b[1]*a[3], b[0]*a[1] + b[1]*a[4], b[0]*a[2] + b[1]*a[5] + b[2],
		b[3]*a[0] + b[4]*a[3], b[3]*a[1] + b[4]*a[4], b[3]*a[2] + b[4]*a[5] + b[5],
	}
}

// offset is how a transform moves the picture: the shift of the point at
// (cx, cy) (the picture's centre: a zoom about the centre moves nothing
// there, a pan moves everything by the same amount), the scale and the
// rotation in degrees.
func (a affine) offset(cx, cy float64) (shift, scale, rotation float64) {
	dx := a[0]*cx + a[1]*cy + a[2] - cx
	dy := a[3]*cx + a[4]*cy + a[5] - cy
	return math.Hypot(dx, dy), math.Sqrt(math.Abs(a[0]*a[4] - a[1]*a[3])), math.Atan2(a[3], a[0]) * 180 / math.Pi
}

// match is the outcome of matching a picture against a reference.
type match struct {
	// T maps the reference onto the picture; valid when OK.
	T  affine
	OK bool
	// Features found in the picture, pairs kept by the ratio test, and
	// pairs agreeing with T.
	Features, Pairs, Inliers int
}

// features are a picture's ORB keypoints and descriptors.
type features struct {
	kp   []gocv.KeyPoint
	desc gocv.Mat
}

func (f *features) Close() { f.desc.Close() }

// matcher finds ORB features in alignWidth pictures and matches them with
// a RANSAC-fitted affine transform: moving vehicles are outliers, the
// road, kerbs, markings and buildings the inliers. Not safe for
// concurrent use.
type matcher struct {
	orb gocv.ORB
	bf  gocv.BFMatcher
	buf gocv.Mat
	w   int
	h   int
}

func newMatcher(w, h int) *matcher {
	return &matcher{
		// 800 features over 4 levels, FAST threshold 10: enough for a
		// street at dusk; edge threshold and patch 15 for a 320 picture.
		orb: gocv.NewORBWithParams(400, 1.2, 3, 15, 0, 2, gocv.ORBScoreTypeFAST, 15, 10),
		bf:  gocv.NewBFMatcherWithParams(gocv.NormHamming, false),
		buf: gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U),
		w:   w,
		h:   h,
	}
}

// detect finds the features of a w x h grey picture.
func (m *matcher) detect(px []byte) (features, error) {
	dst, err := m.buf.DataPtrUint8()
	if err != nil {
		return features{}, fmt.Errorf("alignment picture: %w", err)
	}
	if len(dst) != len(px) {
		return features{}, fmt.Errorf("alignment picture: %d pixels, want %d", len(px), len(dst))
	}
	copy(dst, px)
	mask := gocv.NewMat()
	defer mask.Close()
	kp, desc := m.orb.DetectAndCompute(m.buf, mask)
	return features{kp: kp, desc: desc}, nil
}

// match fits the transform from ref's features to cur's.
func (m *matcher) match(ref, cur features) match {
	res := match{Features: len(cur.kp)}
	if len(cur.kp) < minInliers || len(ref.kp) < minInliers || cur.desc.Empty() || ref.desc.Empty() {
		return res
	}
	// Lowe's ratio test keeps a pair only when its best match is clearly
	// better than the second best: repetitive texture (lane markings,
	// windows) matches many places equally and says nothing.
	var from, to []gocv.Point2f
	for _, p := range m.bf.KnnMatch(cur.desc, ref.desc, 2) {
		if len(p) < 2 || p[0].Distance > 0.8*p[1].Distance {
			continue
		}
		r, c := ref.kp[p[0].TrainIdx], cur.kp[p[0].QueryIdx]
		from = append(from, gocv.Point2f{X: float32(r.X), Y: float32(r.Y)})
		to = append(to, gocv.Point2f{X: float32(c.X), Y: float32(c.Y)})
	}
	res.Pairs = len(from)
	if len(from) < minInliers {
		return res
	}
	fv := gocv.NewPoint2fVectorFromPoints(from)
	defer fv.Close()
	tv := gocv.NewPoint2fVectorFromPoints(to)
	defer tv.Close()
	inliers := gocv.NewMat()
	defer inliers.Close()
	const ransac = 8 // cv::RANSAC
	t := gocv.EstimateAffine2DWithParams(fv, tv, inliers, ransac, 2, 2000, 0.99, 10)
	defer t.Close()
	if t.Empty() || inliers.Empty() {
		return res
	}
	res.Inliers = gocv.CountNonZero(inliers)
	if res.Inliers < minInliers {
		return res
	}
	for i := range 6 {
		res.T[i] = t.GetDoubleAt(i/3, i%3)
	}
	res.OK = true
	return res
}

func (m *matcher) Close() {
	m.orb.Close()
	m.bf.Close()
	m.buf.Close()
}
