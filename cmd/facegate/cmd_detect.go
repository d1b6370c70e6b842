package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"

	"github.com/facegate/facegate/nets/face"
)

func init() {
	register("detect", "faces, landmarks and quality checks of an image, JSON on stdout", runDetect)
}

func runDetect(args []string) int {
	fs := newFlagSet("detect", "usage: facegate detect [flags] IMAGE")
	models := modelsFlag(fs)
	fast := fs.Bool("fast", false, "detector at 320 px instead of 640")
	draw := fs.String("draw", "", "write the image with boxes and landmarks to this PNG file")
	live := fs.Bool("liveness", false, "also run liveness on each face")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	p, err := loadPipeline(*models, 0, !*live)
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate detect: %v\n", err)
		return 1
	}
	defer p.Close()
	data, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate detect: %v\n", err)
		return 1
	}
	img, err := p.Decode(data)
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate detect: %s: %v\n", pos[0], err)
		return 1
	}
	mode := face.Accurate
	if *fast {
		mode = face.Fast
	}
	faces, err := p.Detect(img, mode)
	if err != nil {
		fmt.Fprintf(os.Stderr, "facegate detect: %v\n", err)
		return 1
	}
	type out struct {
		face.Face
		Liveness *face.Liveness `json:"liveness,omitempty"`
	}
	res := struct {
		Image  string `json:"image"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		Format string `json:"format"`
		Faces  []out  `json:"faces"`
	}{pos[0], img.W, img.H, img.Format, []out{}}
	for _, f := range faces {
		o := out{Face: f}
		if *live {
			l, err := p.Liveness(img, f, mode, 0.5)
			if err != nil {
				fmt.Fprintf(os.Stderr, "facegate detect: %v\n", err)
				return 1
			}
			o.Liveness = &l
		}
		res.Faces = append(res.Faces, o)
	}
	if *draw != "" {
		if err := drawFaces(*draw, img.W, img.H, img.Pix, faces); err != nil {
			fmt.Fprintf(os.Stderr, "facegate detect: %v\n", err)
			return 1
		}
	}
	return writeJSON(res)
}

// drawFaces writes the image with each face's box (green) and landmarks
// (red eyes, blue nose, yellow mouth corners) as a PNG.
func drawFaces(path string, w, h int, pix []uint8, faces []face.Face) error {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = pix[3*i], pix[3*i+1], pix[3*i+2], 255
	}
	t := max(1, min(w, h)/300)
	rect := func(x0, y0, x1, y1 int, c color.RGBA) {
		for y := max(y0, 0); y < min(y1, h); y++ {
			for x := max(x0, 0); x < min(x1, w); x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	green := color.RGBA{0, 255, 0, 255}
	marks := []color.RGBA{{255, 0, 0, 255}, {255, 0, 0, 255}, {0, 0, 255, 255}, {255, 255, 0, 255}, {255, 255, 0, 255}}
	for _, f := range faces {
		x0, y0 := int(math.Round(f.Box.X)), int(math.Round(f.Box.Y))
		x1, y1 := int(math.Round(f.Box.X+f.Box.W)), int(math.Round(f.Box.Y+f.Box.H))
		rect(x0, y0, x1, y0+t, green)
		rect(x0, y1-t, x1, y1, green)
		rect(x0, y0, x0+t, y1, green)
		rect(x1-t, y0, x1, y1, green)
		r := 2 * t
		for k, l := range f.Landmarks {
			x, y := int(math.Round(l.X)), int(math.Round(l.Y))
			rect(x-r, y-r, x+r+1, y+r+1, marks[k])
		}
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(fh, img); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
