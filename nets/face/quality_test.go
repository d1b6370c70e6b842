package face

import (
	"math"
	"math/rand"
	"testing"
)

func templatePoints(scale, dx, dy float64) [5]Point {
	t := [5][2]float64{{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041}}
	var p [5]Point
	for i := range t {
		p[i] = Point{t[i][0]*scale + dx, t[i][1]*scale + dy}
	}
	return p
}

func TestPoseFrontalAndRoll(t *testing.T) {
	lm := templatePoints(3, 100, 50)
	yaw, pitch, roll0 := Pose(lm)
	if math.Abs(yaw) > 1 || math.Abs(pitch) > 1 || math.Abs(roll0) > 1 {
		t.Fatalf("template pose %v %v %v", yaw, pitch, roll0)
	}
	// Rotate the template by 30° in the image plane: only roll changes.
	a := 30 * math.Pi / 180
	var r [5]Point
	for i, p := range lm {
		r[i] = Point{p.X*math.Cos(a) - p.Y*math.Sin(a), p.X*math.Sin(a) + p.Y*math.Cos(a)}
	}
	yaw, pitch, roll := Pose(r)
	if math.Abs(roll-roll0-30) > 1e-6 || math.Abs(yaw) > 1 || math.Abs(pitch) > 1 {
		t.Fatalf("rolled pose %v %v %v", yaw, pitch, roll)
	}
	// Nose shifted sideways by 0.2 eye distances: yaw = atan(0.2/0.41) ≈ 26°.
	s := lm
	s[2].X += 0.2 * (lm[1].X - lm[0].X)
	if yaw, _, _ = Pose(s); math.Abs(yaw-math.Atan(0.2/0.41)*180/math.Pi) > 0.5 {
		t.Fatalf("yaw %v", yaw)
	}
}

func noisyImage(w, h int, seed int64, amp int) []uint8 {
	rng := rand.New(rand.NewSource(seed))
	pix := make([]uint8, 3*w*h)
	for i := 0; i < w*h; i++ {
		v := uint8(128 + rng.Intn(2*amp+1) - amp)
		pix[3*i], pix[3*i+1], pix[3*i+2] = v, v, v
	}
	return pix
}

func byName(q Quality) map[string]Check {
	m := map[string]Check{}
	for _, c := range q.Checks {
		m[c.Name] = c
	}
	return m
}

func TestAssess(t *testing.T) {
	w, h := 800, 800
	// A large frontal "face" of textured mid-grey well inside the frame
	// (eyes 126 px apart).
	good := Assess(w, h, noisyImage(w, h, 1, 60), Box{200, 200, 400, 400}, templatePoints(400.0/112, 200, 200), 1)
	for _, c := range good.Checks {
		if !c.Passed {
			t.Errorf("good face fails %+v", c)
		}
	}
	if good.Probability < 0.8 {
		t.Logf("%+v", good.Checks)
		t.Errorf("good face probability %v", good.Probability)
	}
	// Small, flat (blurred), dark, at the border, two faces.
	flat := make([]uint8, 3*w*h)
	for i := range flat {
		flat[i] = 20
	}
	bad := byName(Assess(w, h, flat, Box{0, 300, 100, 100}, templatePoints(100.0/112, 0, 300), 2))
	for name, code := range map[string]string{"face_size": "FACE_TOO_SMALL", "eye_distance": "FACE_TOO_SMALL", "border": "FACE_CLOSE_TO_BORDER",
		"exposure": "", "blur": "", "face_count": "TOO_MANY_FACES"} {
		if c := bad[name]; c.Passed || c.Code != code {
			t.Errorf("%s: %+v, want fail with %q", name, c, code)
		}
	}
	// Face filling the frame and running off it.
	close := byName(Assess(w, h, noisyImage(w, h, 2, 60), Box{-100, 50, 900, 800}, templatePoints(800.0/112, -50, 50), 1))
	if close["face_fraction"].Passed || close["cropped"].Passed || close["cropped"].Code != "FACE_CROPPED" {
		t.Errorf("too close not flagged: %+v %+v", close["face_fraction"], close["cropped"])
	}
	// Degenerate boxes do not panic.
	Assess(w, h, flat, Box{-50, -50, 10, 10}, [5]Point{}, 1)
	Assess(w, h, flat, Box{900, 900, 0, 0}, [5]Point{}, 0)
}
