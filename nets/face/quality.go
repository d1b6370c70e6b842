package face

import "math"

// Quality thresholds. The size limits are OkayFace's published guidance
// for liveness (face shorter side ≥ 180 px, eyes ≥ 90 px apart); the angle
// limit is its 20° out-of-plane rotation; the others are facegate's.
const (
	MinFaceSide     = 180.0 // px, shorter side of the face box
	MinEyeDistance  = 90.0  // px between the eye landmarks
	MaxAngle        = 20.0  // degrees, for yaw, pitch and roll
	MinBorderMargin = 0.05  // distance to the image edge / face size
	MinInside       = 0.98  // fraction of the face box inside the image
	MaxFaceFraction = 0.80  // face box side / image side: closer is "too close"
	MinLuminance    = 50.0  // mean luma (0..255) in the face box
	MaxClipped      = 0.25  // fraction of face pixels at luma ≤ 5 or ≥ 250
	MinSharpness    = 40.0  // variance of the Laplacian on a 112 px face (see sharpness)
)

// check describes one soft quality test: the value passes when it is on
// the right side of the threshold (dir +1: value ≥ threshold; dir −1:
// value ≤ threshold), and scale is the distance over which the soft score
// goes from 0.5 (at the threshold) to 0.98.
type check struct {
	Check
	dir, scale float64
}

func newCheck(name, code string, value, threshold, dir, scale float64) check {
	pass := value >= threshold
	if dir < 0 {
		pass = value <= threshold
	}
	if math.IsNaN(value) {
		pass = false
	}
	c := check{Check: Check{Name: name, Value: round4(value), Threshold: threshold, Passed: pass}, dir: dir, scale: scale}
	if !pass {
		c.Code = code
	}
	return c
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// soft is the check's pass margin squashed to 0..1: logistic(4·margin/scale);
// a check without a scale is hard: 1 when passed, else 0.
func (c check) soft() float64 {
	if c.scale == 0 {
		if c.Passed {
			return 1
		}
		return 0
	}
	m := c.dir * (c.Value - c.Threshold) / c.scale
	if math.IsNaN(m) {
		return 0
	}
	return 1 / (1 + math.Exp(-4*m))
}

// Pose estimates yaw, pitch and roll in degrees from the five landmarks
// (ArcFace order) with a generic head model. The geometry is exact for
// that model (yaw and roll recovered to 0.2°, pitch to 15 %; the ArcFace
// template measures 0, 0 and its own −0.32° eye line; mirrored landmarks
// give exactly the opposite yaw and roll: pose_test.go). The limit is
// the landmarks: on YuNet's, a mirrored photo's yaw differs from the
// negated original by 6.5–7° (sd over LFW faces; 26° on image_T1, whose
// mirror measures −49° against 23.7°), and turning a photo by a known
// angle moves the measured roll by only 0.7 of it on average. So a 20°
// limit is a coarse gate with a noise of about ±5°.
//   - roll: angle of the line between the eyes.
//   - yaw: after undoing roll, the nose tip's horizontal offset from the
//     midpoint of eyes and mouth corners, over the eye distance; on a
//     generic head (nose tip ≈ 0.41 eye distances in front of the eye and
//     mouth plane) that ratio is 0.41·tan(yaw). 0.41 is what YuNet's
//     landmarks show on 410 LFW faces: fitting the eye distance's
//     foreshortening (cos yaw) against the nose offset (sin yaw) gives
//     0.40–0.46. An anatomical mean face (MediaPipe's canonical model,
//     canthi as eye centres) would say 0.52–0.59 and read T1 as 17°, but
//     the fit on YuNet's points does not support it.
//   - pitch: the nose tip's height between eye line and mouth line,
//     compared with the ArcFace template's 0.495; the ratio moves by
//     ≈ 0.405·tan(pitch) on the same head model. Positive pitch: face
//     turned down.
func Pose(lm [5]Point) (yaw, pitch, roll float64) {
	le, re, nose, lmo, rmo := lm[0], lm[1], lm[2], lm[3], lm[4]
	r := math.Atan2(re.Y-le.Y, re.X-le.X)
	cos, sin := math.Cos(-r), math.Sin(-r)
	rot := func(p Point) Point { return Point{p.X*cos - p.Y*sin, p.X*sin + p.Y*cos} }
	le, re, nose, lmo, rmo = rot(le), rot(re), rot(nose), rot(lmo), rot(rmo)
	eyeDist := math.Hypot(re.X-le.X, re.Y-le.Y)
	if eyeDist == 0 {
		return math.NaN(), math.NaN(), r * 180 / math.Pi
	}
	midX := (le.X + re.X + lmo.X + rmo.X) / 4
	yaw = math.Atan((nose.X-midX)/eyeDist/0.41) * 180 / math.Pi
	eyeY, mouthY := (le.Y+re.Y)/2, (lmo.Y+rmo.Y)/2
	if mouthY-eyeY <= 0 {
		return yaw, math.NaN(), r * 180 / math.Pi
	}
	t := (nose.Y - eyeY) / (mouthY - eyeY)
	pitch = math.Atan((t-0.495)/0.405) * 180 / math.Pi
	return yaw, pitch, r * 180 / math.Pi
}

// Assess measures one face in an RGB image (stride 3w) found among
// nFaces: size, eye distance, pose, position, exposure, sharpness and the
// face count. Probability is the product of every check's soft pass margin
// (logistic of the margin, 0.5 exactly at a threshold), so one failed
// check pulls it below 0.5 and a face that passes everything with room to
// spare scores close to 1.
func Assess(w, h int, pix []uint8, box Box, lm [5]Point, nFaces int) Quality {
	W, H := float64(w), float64(h)
	side := math.Min(box.W, box.H)
	eye := math.Hypot(lm[1].X-lm[0].X, lm[1].Y-lm[0].Y)
	yaw, pitch, roll := Pose(lm)
	x0, y0 := math.Max(box.X, 0), math.Max(box.Y, 0)
	x1, y1 := math.Min(box.X+box.W, W), math.Min(box.Y+box.H, H)
	inside := 0.0
	if x1 > x0 && y1 > y0 && box.W > 0 && box.H > 0 {
		inside = (x1 - x0) * (y1 - y0) / (box.W * box.H)
	}
	margin := math.Min(math.Min(box.X, box.Y), math.Min(W-box.X-box.W, H-box.Y-box.H)) / math.Max(math.Max(box.W, box.H), 1)
	closeness := math.Max(box.W/W, box.H/H)
	lum, clipped, sharp := exposure(w, h, pix, box)
	cs := []check{
		newCheck("face_size", "FACE_TOO_SMALL", side, MinFaceSide, 1, 40),
		newCheck("eye_distance", "FACE_TOO_SMALL", eye, MinEyeDistance, 1, 20),
		newCheck("yaw", "FACE_ANGLE_TOO_LARGE", math.Abs(yaw), MaxAngle, -1, 8),
		newCheck("pitch", "FACE_ANGLE_TOO_LARGE", math.Abs(pitch), MaxAngle, -1, 8),
		newCheck("roll", "FACE_ANGLE_TOO_LARGE", math.Abs(roll), MaxAngle, -1, 8),
		newCheck("cropped", "FACE_CROPPED", inside, MinInside, 1, 0.02),
		newCheck("border", "FACE_CLOSE_TO_BORDER", margin, MinBorderMargin, 1, 0.05),
		newCheck("face_fraction", "FACE_TOO_CLOSE", closeness, MaxFaceFraction, -1, 0.1),
		newCheck("exposure", "", lum, MinLuminance, 1, 25),
		newCheck("clipped", "", clipped, MaxClipped, -1, 0.1),
		newCheck("blur", "", sharp, MinSharpness, 1, 30),
		newCheck("face_count", "TOO_MANY_FACES", float64(nFaces), 1, -1, 0),
	}
	q := Quality{Probability: 1}
	for _, c := range cs {
		q.Checks = append(q.Checks, c.Check)
		q.Probability *= c.soft()
	}
	q.Probability = round4(q.Probability)
	return q
}

// exposure returns the mean luma (BT.601) of the face box, the fraction of
// its pixels that are clipped (luma ≤ 5 or ≥ 250), and its sharpness: the
// variance of the 4-neighbour Laplacian of the box resampled (area average)
// to 112x112, so the figure does not depend on the face's pixel size.
func exposure(w, h int, pix []uint8, box Box) (mean, clipped, sharp float64) {
	x0, y0 := max(int(box.X), 0), max(int(box.Y), 0)
	x1, y1 := min(int(math.Ceil(box.X+box.W)), w), min(int(math.Ceil(box.Y+box.H)), h)
	if x1-x0 < 2 || y1-y0 < 2 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	const n = 112
	var acc [n * n]float64
	var cnt [n * n]float64
	bw, bh := float64(x1-x0), float64(y1-y0)
	var sum float64
	var clip, total int
	for y := y0; y < y1; y++ {
		gy := min(int(float64(y-y0)*n/bh), n-1)
		row := pix[3*w*y:]
		for x := x0; x < x1; x++ {
			p := row[3*x:]
			l := 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
			sum += l
			if l <= 5 || l >= 250 {
				clip++
			}
			total++
			g := gy*n + min(int(float64(x-x0)*n/bw), n-1)
			acc[g] += l
			cnt[g]++
		}
	}
	mean = sum / float64(total)
	clipped = float64(clip) / float64(total)
	// Upsampled boxes leave cells empty: fill from the nearest source pixel.
	for gy := 0; gy < n; gy++ {
		for gx := 0; gx < n; gx++ {
			g := gy*n + gx
			if cnt[g] == 0 {
				sx := x0 + min(int((float64(gx)+0.5)*bw/n), x1-x0-1)
				sy := y0 + min(int((float64(gy)+0.5)*bh/n), y1-y0-1)
				p := pix[3*(sy*w+sx):]
				acc[g] = 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
				cnt[g] = 1
			}
			acc[g] /= cnt[g]
		}
	}
	var s, s2 float64
	m := 0
	for gy := 1; gy < n-1; gy++ {
		for gx := 1; gx < n-1; gx++ {
			g := gy*n + gx
			l := acc[g-1] + acc[g+1] + acc[g-n] + acc[g+n] - 4*acc[g]
			s += l
			s2 += l * l
			m++
		}
	}
	s /= float64(m)
	sharp = s2/float64(m) - s*s
	return mean, clipped, sharp
}
