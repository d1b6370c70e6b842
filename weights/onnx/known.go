package onnx

import (
	"fmt"

	"github.com/facegate/facegate/weights"
)

// knownModel is what facegate knows about one upstream network file: how its
// input is prepared (from ../shared/models/MODELS.md) and what it is for.
type knownModel struct {
	name       string
	role       string // detector, liveness, embedder
	colorOrder string
	mean, std  float32 // the same for every channel
	inputSize  string  // "WxH" of a fixed-size input, "" if dynamic
	cropScale  string  // liveness context crop factor
}

// knownModels is keyed by the sha256 of the file, as listed in
// ../shared/models/SHA256SUMS. Identification by content, not by file name,
// means a renamed copy is still recognised and a different file with a
// familiar name is not.
var knownModels = map[string]knownModel{
	"8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4": {
		name: "face_detection_yunet_2023mar", role: "detector", colorOrder: "BGR",
		mean: 0, std: 1, inputSize: "640x640"},
	"daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3": {
		name: "face_detection_yunet_2023mar_dynamic", role: "detector", colorOrder: "BGR",
		mean: 0, std: 1},
	"bfc9c10f150167c2fa6690483b85991431e1f82bc11c556cacbe252657688fc1": {
		name: "2.7_80x80_MiniFASNetV2", role: "liveness", colorOrder: "BGR",
		mean: 0, std: 1, inputSize: "80x80", cropScale: "2.7"},
	"bf3368cf051ddacd7bb34423fdd765a1c4b4ae6cc92c63fc715806d0f7d85c1e": {
		name: "4_0_0_80x80_MiniFASNetV1SE", role: "liveness", colorOrder: "BGR",
		mean: 0, std: 1, inputSize: "80x80", cropScale: "4.0"},
	"6ced4e0c36abba9dd24b48d725f7dbb94089f75b3d3445d3d67b85157cb64743": {
		name: "mobilefacenet128_paddle", role: "embedder", colorOrder: "RGB",
		mean: 127.5, std: 127.5, inputSize: "112x112"},
	"ebd26dc15c81f6085e70fb4cd97859d55307c876244c7ba1f7a63c7a9848f96a": {
		name: "w600k_mbf_fp32", role: "embedder", colorOrder: "RGB",
		mean: 127.5, std: 127.5, inputSize: "112x112"},
	"7caa7fb0ad6c37b33e6c59f6411084b487aaabd596bba645d2cce391a5871120": {
		name: "w600k_mbf_int8", role: "embedder", colorOrder: "RGB",
		mean: 127.5, std: 127.5, inputSize: "112x112"},
}

// applyMetadata fills the known-model values for m (whose SourceSHA256 is
// set) and then the caller's overrides.
func applyMetadata(m *weights.Model, opt Options) error {
	meta := &m.Meta
	if meta.Extra == nil {
		meta.Extra = map[string]string{}
	}
	if k, ok := knownModels[meta.SourceSHA256]; ok {
		meta.Name = k.name
		meta.ColorOrder = k.colorOrder
		meta.Mean = []float32{k.mean, k.mean, k.mean}
		meta.Std = []float32{k.std, k.std, k.std}
		meta.Extra["role"] = k.role
		if k.inputSize != "" {
			meta.Extra["input_size"] = k.inputSize
		}
		if k.cropScale != "" {
			meta.Extra["crop_scale"] = k.cropScale
		}
	}
	if meta.Name == "" {
		meta.Name = meta.Extra["graph_name"]
	}
	if meta.Name == "" {
		meta.Name = "model"
	}
	if opt.Name != "" {
		meta.Name = opt.Name
	}
	switch opt.ColorOrder {
	case "":
	case "RGB", "BGR":
		meta.ColorOrder = opt.ColorOrder
	default:
		return fmt.Errorf("options: colour order %q, want RGB or BGR", opt.ColorOrder)
	}
	if opt.Mean != nil || opt.Std != nil {
		if len(opt.Mean) != len(opt.Std) || len(opt.Mean) == 0 {
			return fmt.Errorf("options: mean %v and std %v must both be given, with the same length", opt.Mean, opt.Std)
		}
		for _, s := range opt.Std {
			if !(s > 0) {
				return fmt.Errorf("options: std %v must be positive", opt.Std)
			}
		}
		meta.Mean = append([]float32{}, opt.Mean...)
		meta.Std = append([]float32{}, opt.Std...)
	}
	if opt.Role != "" {
		meta.Extra["role"] = opt.Role
	}
	return nil
}
