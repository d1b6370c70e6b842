package onnx

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/facegate/facegate/weights"
)

// opSpec describes one supported operator: its input and output arity
// (over all supported opsets; the normaliser checks opset-specific arity)
// and the normaliser that rewrites it to the single form documented in
// doc.go.
type opSpec struct {
	minIn, maxIn   int
	minOut, maxOut int
	norm           func(c *converter, n *weights.Node) error
}

const many = maxNodeIO

var opTable map[string]opSpec

func init() {
	opTable = map[string]opSpec{
		"Conv":               {2, 3, 1, 1, normConv},
		"BatchNormalization": {5, 5, 1, 5, normBatchNorm},
		"Relu":               {1, 1, 1, 1, nil},
		"PRelu":              {2, 2, 1, 1, nil},
		"LeakyRelu":          {1, 1, 1, 1, normLeakyRelu},
		"Sigmoid":            {1, 1, 1, 1, nil},
		"Add":                {2, 2, 1, 1, nil},
		"Sub":                {2, 2, 1, 1, nil},
		"Mul":                {2, 2, 1, 1, nil},
		"Div":                {2, 2, 1, 1, nil},
		"MaxPool":            {1, 1, 1, 2, normMaxPool},
		"AveragePool":        {1, 1, 1, 1, normAveragePool},
		"GlobalAveragePool":  {1, 1, 1, 1, nil},
		"Resize":             {1, 4, 1, 1, normResize},
		"Upsample":           {1, 2, 1, 1, normUpsample},
		"Transpose":          {1, 1, 1, 1, nil},
		"Reshape":            {2, 2, 1, 1, normReshape},
		"Flatten":            {1, 1, 1, 1, normFlatten},
		"MatMul":             {2, 2, 1, 1, nil},
		"Gemm":               {2, 3, 1, 1, normGemm},
		"Softmax":            {1, 1, 1, 1, normSoftmax},
		"Constant":           {0, 0, 1, 1, nil}, // becomes a tensor; see convertConstant
		"Shape":              {1, 1, 1, 1, nil},
		"Gather":             {2, 2, 1, 1, normGather},
		"Unsqueeze":          {1, 2, 1, 1, normUnsqueeze},
		"Squeeze":            {1, 2, 1, 1, normSqueeze},
		"Concat":             {1, many, 1, 1, normConcat},
		"Slice":              {1, 5, 1, 1, normSlice},
		"Cast":               {1, 1, 1, 1, normCast},
		"Identity":           {1, 1, 1, 1, nil},
		"Dropout":            {1, 3, 1, 2, normDropout},
		"Clip":               {1, 3, 1, 1, normClip},
	}
}

// SupportedOperators lists the ONNX operators Import accepts, sorted.
func SupportedOperators() []string {
	var ops []string
	for op := range opTable {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// normalise checks n's arity and rewrites it into its single normal form.
func (c *converter) normalise(n *weights.Node, consumed map[string]bool) error {
	spec := opTable[n.Op]
	if len(n.Inputs) < spec.minIn || len(n.Inputs) > spec.maxIn {
		return fmt.Errorf("%s has %d inputs, want %d..%d", n.Op, len(n.Inputs), spec.minIn, spec.maxIn)
	}
	if len(n.Outputs) < spec.minOut || len(n.Outputs) > spec.maxOut {
		return fmt.Errorf("%s has %d outputs, want %d..%d", n.Op, len(n.Outputs), spec.minOut, spec.maxOut)
	}
	if n.Inputs[0] == "" || n.Outputs[0] == "" {
		return fmt.Errorf("%s: first input and first output must be named", n.Op)
	}
	// Optional trailing outputs used only in training must be unused.
	for _, o := range n.Outputs[1:] {
		if o != "" && consumed[o] {
			return fmt.Errorf("%s output %q is used; only the first output is supported", n.Op, o)
		}
	}
	n.Outputs = n.Outputs[:1]
	if spec.norm == nil {
		return nil
	}
	return spec.norm(c, n)
}

// Attribute helpers. getAttr checks the kind so normalisers can trust it.

func getAttr(n *weights.Node, name string, kind weights.AttrKind) (*weights.Attr, error) {
	a := n.Attr(name)
	if a == nil {
		return nil, nil
	}
	if a.Kind != kind {
		return nil, fmt.Errorf("attribute %q has the wrong type", name)
	}
	return a, nil
}

func setAttr(n *weights.Node, a weights.Attr) {
	if old := n.Attr(a.Name); old != nil {
		*old = a
		return
	}
	n.Attrs = append(n.Attrs, a)
}

func delAttr(n *weights.Node, names ...string) {
	out := n.Attrs[:0]
	for _, a := range n.Attrs {
		keep := true
		for _, name := range names {
			if a.Name == name {
				keep = false
			}
		}
		if keep {
			out = append(out, a)
		}
	}
	n.Attrs = out
}

// defaultInt sets an INT attribute to def when absent and returns its value.
func defaultInt(n *weights.Node, name string, def int64) (int64, error) {
	a, err := getAttr(n, name, weights.AttrInt)
	if err != nil {
		return 0, err
	}
	if a == nil {
		setAttr(n, weights.Attr{Name: name, Kind: weights.AttrInt, Int: def})
		return def, nil
	}
	return a.Int, nil
}

func defaultFloat(n *weights.Node, name string, def float32) (float32, error) {
	a, err := getAttr(n, name, weights.AttrFloat)
	if err != nil {
		return 0, err
	}
	if a == nil {
		setAttr(n, weights.Attr{Name: name, Kind: weights.AttrFloat, Float: def})
		return def, nil
	}
	return a.Float, nil
}

func defaultString(n *weights.Node, name, def string, allowed ...string) (string, error) {
	a, err := getAttr(n, name, weights.AttrString)
	if err != nil {
		return "", err
	}
	v := def
	if a != nil {
		v = a.String
	}
	ok := len(allowed) == 0
	for _, s := range allowed {
		ok = ok || v == s
	}
	if !ok {
		return "", fmt.Errorf("attribute %s=%q is not supported", name, v)
	}
	setAttr(n, weights.Attr{Name: name, Kind: weights.AttrString, String: v})
	return v, nil
}

// defaultInts sets an INTS attribute of length k to fill when absent, checks
// its length and that every element is at least min.
func defaultInts(n *weights.Node, name string, k int, fill, min int64) ([]int64, error) {
	a, err := getAttr(n, name, weights.AttrInts)
	if err != nil {
		return nil, err
	}
	if a == nil {
		v := make([]int64, k)
		for i := range v {
			v[i] = fill
		}
		setAttr(n, weights.Attr{Name: name, Kind: weights.AttrInts, Ints: v})
		return v, nil
	}
	if len(a.Ints) != k {
		return nil, fmt.Errorf("attribute %s has %d values, want %d", name, len(a.Ints), k)
	}
	for _, v := range a.Ints {
		if v < min {
			return nil, fmt.Errorf("attribute %s=%v: values must be at least %d", name, a.Ints, min)
		}
	}
	return a.Ints, nil
}

func int64Const(t *weights.Tensor, what string) ([]int64, error) {
	if t.DType != weights.Int64 {
		return nil, fmt.Errorf("%s must be an int64 tensor", what)
	}
	if len(t.Shape) > 1 {
		return nil, fmt.Errorf("%s must be 1-D", what)
	}
	return append([]int64{}, t.Int...), nil
}

func floatScalar(t *weights.Tensor, what string) (float32, error) {
	if t.DType != weights.Float32 || len(t.Float) != 1 {
		return 0, fmt.Errorf("%s must be a float32 scalar", what)
	}
	return t.Float[0], nil
}

// normWindow fills the attributes shared by Conv and the pools: strides,
// dilations, pads, and auto_pad. k is the number of spatial dims.
func normWindow(n *weights.Node, k int, withDilations bool) error {
	if k < 1 || k > 3 {
		return fmt.Errorf("%d spatial dimensions; 1..3 supported", k)
	}
	if _, err := defaultInts(n, "strides", k, 1, 1); err != nil {
		return err
	}
	if withDilations {
		if _, err := defaultInts(n, "dilations", k, 1, 1); err != nil {
			return err
		}
	}
	pad, err := defaultString(n, "auto_pad", "NOTSET", "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER")
	if err != nil {
		return err
	}
	switch pad {
	case "NOTSET":
		delAttr(n, "auto_pad")
		_, err = defaultInts(n, "pads", 2*k, 0, 0)
		return err
	case "VALID":
		delAttr(n, "auto_pad", "pads")
		_, err = defaultInts(n, "pads", 2*k, 0, 0)
		return err
	}
	// SAME_*: padding depends on the input size; the engine computes it.
	delAttr(n, "pads")
	return nil
}

func normConv(c *converter, n *weights.Node) error {
	ks, err := getAttr(n, "kernel_shape", weights.AttrInts)
	if err != nil {
		return err
	}
	if ks == nil {
		w := c.constInput(n, 1)
		if w == nil || len(w.Shape) < 3 {
			return errors.New("operator Conv without kernel_shape needs constant weights of rank >= 3")
		}
		setAttr(n, weights.Attr{Name: "kernel_shape", Kind: weights.AttrInts, Ints: append([]int64{}, w.Shape[2:]...)})
		ks = n.Attr("kernel_shape")
	}
	k := len(ks.Ints)
	if _, err := defaultInts(n, "kernel_shape", k, 1, 1); err != nil {
		return err
	}
	if g, err := defaultInt(n, "group", 1); err != nil {
		return err
	} else if g < 1 {
		return fmt.Errorf("group %d", g)
	}
	return normWindow(n, k, true)
}

func normPool(n *weights.Node, withDilations bool) error {
	ks, err := getAttr(n, "kernel_shape", weights.AttrInts)
	if err != nil {
		return err
	}
	if ks == nil {
		return errors.New("kernel_shape is required")
	}
	if _, err := defaultInts(n, "kernel_shape", len(ks.Ints), 1, 1); err != nil {
		return err
	}
	if cm, err := defaultInt(n, "ceil_mode", 0); err != nil {
		return err
	} else if cm != 0 && cm != 1 {
		return fmt.Errorf("ceil_mode %d", cm)
	}
	return normWindow(n, len(ks.Ints), withDilations)
}

func normMaxPool(c *converter, n *weights.Node) error {
	delAttr(n, "storage_order") // only affects the Indices output, which is unused
	return normPool(n, true)
}

func normAveragePool(c *converter, n *weights.Node) error {
	if v, err := defaultInt(n, "count_include_pad", 0); err != nil {
		return err
	} else if v != 0 && v != 1 {
		return fmt.Errorf("count_include_pad %d", v)
	}
	// dilations arrived in opset 19; fill it for older files too.
	return normPool(n, true)
}

func normBatchNorm(c *converter, n *weights.Node) error {
	if a, err := getAttr(n, "spatial", weights.AttrInt); err != nil {
		return err
	} else if a != nil && a.Int != 1 {
		return errors.New("BatchNormalization with spatial=0 is not supported")
	}
	if a, err := getAttr(n, "training_mode", weights.AttrInt); err != nil {
		return err
	} else if a != nil && a.Int != 0 {
		return errors.New("BatchNormalization in training mode is not supported")
	}
	delAttr(n, "spatial", "training_mode", "momentum", "is_test")
	_, err := defaultFloat(n, "epsilon", 1e-5)
	return err
}

func normLeakyRelu(c *converter, n *weights.Node) error {
	_, err := defaultFloat(n, "alpha", 0.01)
	return err
}

func normFlatten(c *converter, n *weights.Node) error {
	_, err := defaultInt(n, "axis", 1)
	return err
}

func normGather(c *converter, n *weights.Node) error {
	_, err := defaultInt(n, "axis", 0)
	return err
}

func normConcat(c *converter, n *weights.Node) error {
	a, err := getAttr(n, "axis", weights.AttrInt)
	if err != nil {
		return err
	}
	if a == nil {
		return errors.New("operator Concat needs an axis")
	}
	for _, in := range n.Inputs {
		if in == "" {
			return errors.New("operator Concat input without a name")
		}
	}
	return nil
}

func normReshape(c *converter, n *weights.Node) error {
	if n.Inputs[1] == "" {
		return errors.New("operator Reshape needs a shape input")
	}
	_, err := defaultInt(n, "allowzero", 0)
	return err
}

func normGemm(c *converter, n *weights.Node) error {
	if len(n.Inputs) < 3 && c.opset < 11 {
		return fmt.Errorf("operator Gemm needs input C before opset 11")
	}
	for _, a := range []struct {
		name string
		def  float32
	}{{"alpha", 1}, {"beta", 1}} {
		if _, err := defaultFloat(n, a.name, a.def); err != nil {
			return err
		}
	}
	for _, name := range []string{"transA", "transB"} {
		if _, err := defaultInt(n, name, 0); err != nil {
			return err
		}
	}
	return nil
}

// normSoftmax makes the axis explicit. Before opset 13 Softmax flattened its
// input to 2-D around axis (default 1) and normalised over everything from
// axis on; from 13 it normalises along one axis (default -1). The legacy
// behaviour is marked with coerce_2d=1.
func normSoftmax(c *converter, n *weights.Node) error {
	if c.opset < 13 {
		if _, err := defaultInt(n, "axis", 1); err != nil {
			return err
		}
		setAttr(n, weights.Attr{Name: "coerce_2d", Kind: weights.AttrInt, Int: 1})
		return nil
	}
	_, err := defaultInt(n, "axis", -1)
	return err
}

func normCast(c *converter, n *weights.Node) error {
	a, err := getAttr(n, "to", weights.AttrInt)
	if err != nil {
		return err
	}
	if a == nil {
		return errors.New("operator Cast needs attribute to")
	}
	if a.Int != dtFloat && a.Int != dtInt64 {
		return fmt.Errorf("operator Cast to %s is not supported (only FLOAT and INT64)", dataTypeName(a.Int))
	}
	delAttr(n, "saturate")
	return nil
}

// normUnsqueeze and normSqueeze move constant axes (an input from opset 13)
// into the axes attribute.
func normUnsqueeze(c *converter, n *weights.Node) error {
	if err := axesToAttr(c, n, 13); err != nil {
		return err
	}
	if n.Attr("axes") == nil {
		return errors.New("operator Unsqueeze needs axes")
	}
	return nil
}

func normSqueeze(c *converter, n *weights.Node) error {
	return axesToAttr(c, n, 13)
}

func axesToAttr(c *converter, n *weights.Node, sinceOpset int64) error {
	if c.opset < sinceOpset {
		if len(n.Inputs) != 1 {
			return fmt.Errorf("%s takes one input before opset %d", n.Op, sinceOpset)
		}
		if _, err := getAttr(n, "axes", weights.AttrInts); err != nil {
			return err
		}
		return nil
	}
	if n.Attr("axes") != nil {
		return fmt.Errorf("%s takes axes as an input from opset %d, not an attribute", n.Op, sinceOpset)
	}
	if len(n.Inputs) < 2 || n.Inputs[1] == "" {
		n.Inputs = n.Inputs[:1]
		return nil
	}
	t := c.constInput(n, 1)
	if t == nil {
		return fmt.Errorf("%s axes %q must be a constant", n.Op, n.Inputs[1])
	}
	axes, err := int64Const(t, n.Op+" axes")
	if err != nil {
		return err
	}
	setAttr(n, weights.Attr{Name: "axes", Kind: weights.AttrInts, Ints: axes})
	n.Inputs = n.Inputs[:1]
	return nil
}

// normSlice moves the attributes of opset < 10 into int64 tensor inputs
// [data, starts, ends, axes].
func normSlice(c *converter, n *weights.Node) error {
	if c.opset >= 10 {
		if len(n.Inputs) < 3 || n.Inputs[1] == "" || n.Inputs[2] == "" {
			return errors.New("operator Slice needs inputs starts and ends")
		}
		return nil
	}
	if len(n.Inputs) != 1 {
		return errors.New("operator Slice takes one input before opset 10")
	}
	for _, name := range []string{"starts", "ends", "axes"} {
		a, err := getAttr(n, name, weights.AttrInts)
		if err != nil {
			return err
		}
		if a == nil {
			if name == "axes" {
				continue
			}
			return fmt.Errorf("operator Slice needs attribute %s", name)
		}
		t := &weights.Tensor{Name: c.freshName(n.Name + "_" + name), DType: weights.Int64,
			Shape: []int64{int64(len(a.Ints))}, Int: append([]int64{}, a.Ints...)}
		if err := c.addTensor(t); err != nil {
			return err
		}
		n.Inputs = append(n.Inputs, t.Name)
	}
	delAttr(n, "starts", "ends", "axes")
	return nil
}

// normDropout turns inference-time Dropout into Identity.
func normDropout(c *converter, n *weights.Node) error {
	if c.opset >= 12 && len(n.Inputs) == 3 && n.Inputs[2] != "" {
		t := c.constInput(n, 2)
		if t == nil {
			return errors.New("operator Dropout training_mode must be a constant")
		}
		if len(t.Int) != 1 || t.Int[0] != 0 {
			return errors.New("operator Dropout in training mode is not supported")
		}
	}
	n.Op = "Identity"
	n.Inputs = n.Inputs[:1]
	n.Attrs = nil
	return nil
}

// normClip moves the bounds into float attributes min and max; an absent
// bound is an absent attribute.
func normClip(c *converter, n *weights.Node) error {
	if c.opset < 11 {
		if len(n.Inputs) != 1 {
			return errors.New("operator Clip takes one input before opset 11")
		}
		for _, name := range []string{"min", "max"} {
			if _, err := getAttr(n, name, weights.AttrFloat); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Attr("min") != nil || n.Attr("max") != nil {
		return errors.New("operator Clip takes its bounds as inputs from opset 11")
	}
	for i, name := range []string{"min", "max"} {
		if len(n.Inputs) <= i+1 || n.Inputs[i+1] == "" {
			continue
		}
		t := c.constInput(n, i+1)
		if t == nil {
			return fmt.Errorf("operator Clip %s %q must be a constant", name, n.Inputs[i+1])
		}
		v, err := floatScalar(t, "Clip "+name)
		if err != nil {
			return err
		}
		setAttr(n, weights.Attr{Name: name, Kind: weights.AttrFloat, Float: v})
	}
	n.Inputs = n.Inputs[:1]
	return nil
}

var resizeModes = []string{"nearest", "linear", "cubic"}
var resizeCoordModes = []string{"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
	"asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"}
var resizeNearestModes = []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}

// normResize gives every Resize the opset-11+ form: inputs
// [X, roi, scales, sizes] (absent ones "") and explicit mode,
// coordinate_transformation_mode, nearest_mode, cubic_coeff_a,
// exclude_outside and extrapolation_value.
func normResize(c *converter, n *weights.Node) error {
	if c.opset < 11 {
		// Resize-10: [X, scales], asymmetric coordinates; ONNX Runtime
		// rounds nearest indices down when upsampling, up when downsampling.
		if len(n.Inputs) != 2 {
			return errors.New("operator Resize takes two inputs in opset 10")
		}
		mode, err := defaultString(n, "mode", "nearest", "nearest", "linear")
		if err != nil {
			return err
		}
		n.Inputs = []string{n.Inputs[0], "", n.Inputs[1], ""}
		return legacyResizeAttrs(c, n, mode)
	}
	if c.opset < 13 && len(n.Inputs) < 3 {
		return errors.New("operator Resize needs inputs roi and scales before opset 13")
	}
	for len(n.Inputs) < 4 {
		n.Inputs = append(n.Inputs, "")
	}
	if _, err := defaultString(n, "mode", "nearest", resizeModes...); err != nil {
		return err
	}
	coord, err := defaultString(n, "coordinate_transformation_mode", "half_pixel", resizeCoordModes...)
	if err != nil {
		return err
	}
	if _, err := defaultString(n, "nearest_mode", "round_prefer_floor", resizeNearestModes...); err != nil {
		return err
	}
	if _, err := defaultFloat(n, "cubic_coeff_a", -0.75); err != nil {
		return err
	}
	if v, err := defaultInt(n, "exclude_outside", 0); err != nil {
		return err
	} else if v != 0 && v != 1 {
		return fmt.Errorf("exclude_outside %d", v)
	}
	if _, err := defaultFloat(n, "extrapolation_value", 0); err != nil {
		return err
	}
	// Opset 18 additions: only their defaults are supported.
	if a, err := getAttr(n, "antialias", weights.AttrInt); err != nil {
		return err
	} else if a != nil && a.Int != 0 {
		return errors.New("operator Resize with antialias is not supported")
	}
	if n.Attr("axes") != nil {
		return errors.New("operator Resize with axes is not supported")
	}
	if a, err := getAttr(n, "keep_aspect_ratio_policy", weights.AttrString); err != nil {
		return err
	} else if a != nil && a.String != "stretch" {
		return fmt.Errorf("operator Resize keep_aspect_ratio_policy %q is not supported", a.String)
	}
	delAttr(n, "antialias", "keep_aspect_ratio_policy")
	// roi matters only for tf_crop_and_resize; empty constant scales or
	// sizes mean "not given".
	if coord != "tf_crop_and_resize" {
		n.Inputs[1] = ""
	} else if n.Inputs[1] == "" {
		return errors.New("operator Resize tf_crop_and_resize needs roi")
	}
	for i := 2; i <= 3; i++ {
		if t := c.constInput(n, i); t != nil && t.Len() == 0 {
			n.Inputs[i] = ""
		}
	}
	switch {
	case n.Inputs[2] == "" && n.Inputs[3] == "":
		return errors.New("operator Resize needs scales or sizes")
	case n.Inputs[2] != "" && n.Inputs[3] != "":
		return errors.New("operator Resize takes scales or sizes, not both")
	}
	if t := c.constInput(n, 2); t != nil && t.DType != weights.Float32 {
		return errors.New("operator Resize scales must be float32")
	}
	if t := c.constInput(n, 3); t != nil && t.DType != weights.Int64 {
		return errors.New("operator Resize sizes must be int64")
	}
	return nil
}

// normUpsample rewrites Upsample (opsets 7..9, deprecated in 10) as Resize
// with the legacy coordinate mapping.
func normUpsample(c *converter, n *weights.Node) error {
	mode, err := defaultString(n, "mode", "nearest", "nearest", "linear", "bilinear")
	if err != nil {
		return err
	}
	if mode == "bilinear" {
		mode = "linear"
	}
	if c.opset < 9 {
		if len(n.Inputs) != 1 {
			return errors.New("operator Upsample takes one input before opset 9")
		}
		a, err := getAttr(n, "scales", weights.AttrFloats)
		if err != nil {
			return err
		}
		if a == nil {
			return errors.New("operator Upsample needs attribute scales")
		}
		t := &weights.Tensor{Name: c.freshName(n.Name + "_scales"), DType: weights.Float32,
			Shape: []int64{int64(len(a.Floats))}, Float: append([]float32{}, a.Floats...)}
		if err := c.addTensor(t); err != nil {
			return err
		}
		n.Inputs = append(n.Inputs, t.Name)
	} else if len(n.Inputs) != 2 || n.Inputs[1] == "" {
		return errors.New("operator Upsample needs input scales from opset 9")
	}
	delAttr(n, "scales", "mode")
	n.Op = "Resize"
	n.Inputs = []string{n.Inputs[0], "", n.Inputs[1], ""}
	return legacyResizeAttrs(c, n, mode)
}

// legacyResizeAttrs sets the attributes reproducing Upsample and Resize-10
// as ONNX Runtime runs them: asymmetric coordinates; nearest rounds down
// for scales >= 1 and up for scales < 1, so constant scales are required
// in nearest mode to pick floor or ceil.
func legacyResizeAttrs(c *converter, n *weights.Node, mode string) error {
	nearest := "floor"
	if mode == "nearest" {
		t := c.constInput(n, 2)
		if t == nil || t.DType != weights.Float32 {
			return fmt.Errorf("%s (legacy nearest) needs constant float scales", n.Op)
		}
		up, down := false, false
		for _, s := range t.Float {
			if s <= 0 || math.IsNaN(float64(s)) {
				return fmt.Errorf("scale %v", s)
			}
			up = up || s >= 1
			down = down || s < 1
		}
		if up && down {
			return errors.New("legacy nearest Resize that upsamples some axes and downsamples others is not supported")
		}
		if down {
			nearest = "ceil"
		}
	}
	n.Attrs = nil
	setAttr(n, weights.Attr{Name: "mode", Kind: weights.AttrString, String: mode})
	setAttr(n, weights.Attr{Name: "coordinate_transformation_mode", Kind: weights.AttrString, String: "asymmetric"})
	setAttr(n, weights.Attr{Name: "nearest_mode", Kind: weights.AttrString, String: nearest})
	setAttr(n, weights.Attr{Name: "cubic_coeff_a", Kind: weights.AttrFloat, Float: -0.75})
	setAttr(n, weights.Attr{Name: "exclude_outside", Kind: weights.AttrInt, Int: 0})
	setAttr(n, weights.Attr{Name: "extrapolation_value", Kind: weights.AttrFloat, Float: 0})
	return nil
}
