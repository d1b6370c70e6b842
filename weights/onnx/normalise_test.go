package onnx

import (
	"reflect"
	"testing"

	"github.com/facegate/facegate/weights"
)

// single builds a model where node (named "n") reads graph input x and its
// output y is the graph output, with extra initializers.
func single(opset int64, n []byte, inits ...[]byte) []byte {
	return model(opset, graphSpec{
		name:    "g",
		nodes:   [][]byte{n},
		inits:   inits,
		inputs:  [][]byte{vi("x", 1, 4, 8, 8)},
		outputs: [][]byte{vi("y")},
	})
}

// want describes the normalised node: op, inputs, and attributes that must
// be present with these values; absent lists attributes that must not be.
type want struct {
	op     string
	inputs []string
	attrs  []weights.Attr
	absent []string
}

func ints(name string, v ...int64) weights.Attr {
	return weights.Attr{Name: name, Kind: weights.AttrInts, Ints: v}
}
func integer(name string, v int64) weights.Attr {
	return weights.Attr{Name: name, Kind: weights.AttrInt, Int: v}
}
func flt(name string, v float32) weights.Attr {
	return weights.Attr{Name: name, Kind: weights.AttrFloat, Float: v}
}
func str(name, v string) weights.Attr {
	return weights.Attr{Name: name, Kind: weights.AttrString, String: v}
}

func TestNormalise(t *testing.T) {
	scales := tensorF("scales", []int64{4}, []float32{1, 1, 2, 2})
	empty := tensorF("empty", []int64{0}, nil)
	sizes := tensorI("sizes", []int64{4}, []int64{1, 4, 16, 16})
	tests := []struct {
		name  string
		data  []byte
		want  want
		check func(t *testing.T, m *weights.Model)
	}{
		{"unsqueeze 11 attr", single(11, node("Unsqueeze", "n", []string{"x"}, []string{"y"}, attrIs("axes", 0))),
			want{op: "Unsqueeze", inputs: []string{"x"}, attrs: []weights.Attr{ints("axes", 0)}}, nil},
		{"unsqueeze 13 input", single(13, node("Unsqueeze", "n", []string{"x", "ax"}, []string{"y"}),
			tensorI("ax", []int64{2}, []int64{0, -1})),
			want{op: "Unsqueeze", inputs: []string{"x"}, attrs: []weights.Attr{ints("axes", 0, -1)}},
			func(t *testing.T, m *weights.Model) {
				if findTensor(m, "ax") != nil {
					t.Error("the axes tensor should be dropped once moved into the attribute")
				}
			}},
		{"squeeze 13 no axes", single(13, node("Squeeze", "n", []string{"x"}, []string{"y"})),
			want{op: "Squeeze", inputs: []string{"x"}, absent: []string{"axes"}}, nil},
		{"squeeze 13 axes", single(13, node("Squeeze", "n", []string{"x", "ax"}, []string{"y"}),
			tensorI("ax", []int64{1}, []int64{0})),
			want{op: "Squeeze", inputs: []string{"x"}, attrs: []weights.Attr{ints("axes", 0)}}, nil},
		{"softmax 11", single(11, node("Softmax", "n", []string{"x"}, []string{"y"})),
			want{op: "Softmax", attrs: []weights.Attr{integer("axis", 1), integer("coerce_2d", 1)}}, nil},
		{"softmax 11 axis", single(11, node("Softmax", "n", []string{"x"}, []string{"y"}, attrI("axis", -1))),
			want{op: "Softmax", attrs: []weights.Attr{integer("axis", -1), integer("coerce_2d", 1)}}, nil},
		{"softmax 13", single(13, node("Softmax", "n", []string{"x"}, []string{"y"})),
			want{op: "Softmax", attrs: []weights.Attr{integer("axis", -1)}, absent: []string{"coerce_2d"}}, nil},
		{"clip 9 attrs", single(9, node("Clip", "n", []string{"x"}, []string{"y"}, attrF("min", 0), attrF("max", 6))),
			want{op: "Clip", inputs: []string{"x"}, attrs: []weights.Attr{flt("min", 0), flt("max", 6)}}, nil},
		{"clip 11 inputs", single(11, node("Clip", "n", []string{"x", "lo", "hi"}, []string{"y"}),
			tensorF("lo", nil, []float32{0}), tensorF("hi", nil, []float32{6})),
			want{op: "Clip", inputs: []string{"x"}, attrs: []weights.Attr{flt("min", 0), flt("max", 6)}}, nil},
		{"clip 11 max only", single(11, node("Clip", "n", []string{"x", "", "hi"}, []string{"y"}),
			tensorF("hi", nil, []float32{6})),
			want{op: "Clip", inputs: []string{"x"}, attrs: []weights.Attr{flt("max", 6)}, absent: []string{"min"}}, nil},
		{"slice 9 attrs", single(9, node("Slice", "n", []string{"x"}, []string{"y"},
			attrIs("starts", 0), attrIs("ends", 2), attrIs("axes", 1))),
			want{op: "Slice", inputs: []string{"x", "n_starts", "n_ends", "n_axes"}, absent: []string{"starts", "ends", "axes"}},
			func(t *testing.T, m *weights.Model) {
				if tn := findTensor(m, "n_ends"); tn == nil || !reflect.DeepEqual(tn.Int, []int64{2}) {
					t.Errorf("n_ends = %+v", tn)
				}
			}},
		{"slice 11 inputs", single(11, node("Slice", "n", []string{"x", "s", "e"}, []string{"y"}),
			tensorI("s", []int64{1}, []int64{0}), tensorI("e", []int64{1}, []int64{2})),
			want{op: "Slice", inputs: []string{"x", "s", "e"}}, nil},
		{"dropout 11", single(11, node("Dropout", "n", []string{"x"}, []string{"y", "mask"}, attrF("ratio", 0.5))),
			want{op: "Identity", inputs: []string{"x"}, absent: []string{"ratio"}}, nil},
		{"batchnorm", single(9, node("BatchNormalization", "n", []string{"x", "s", "b", "m", "v"}, []string{"y"}, attrF("momentum", 0.9)),
			tensorF("s", []int64{4}, make([]float32, 4)), tensorF("b", []int64{4}, make([]float32, 4)),
			tensorF("m", []int64{4}, make([]float32, 4)), tensorF("v", []int64{4}, make([]float32, 4))),
			want{op: "BatchNormalization", attrs: []weights.Attr{flt("epsilon", 1e-5)}, absent: []string{"momentum"}}, nil},
		{"resize 11 scales", single(11, node("Resize", "n", []string{"x", "roi", "scales"}, []string{"y"}, attrS("mode", "nearest")),
			tensorF("roi", []int64{0}, nil), scales),
			want{op: "Resize", inputs: []string{"x", "", "scales", ""}, attrs: []weights.Attr{
				str("mode", "nearest"), str("coordinate_transformation_mode", "half_pixel"),
				str("nearest_mode", "round_prefer_floor"), flt("cubic_coeff_a", -0.75),
				integer("exclude_outside", 0), flt("extrapolation_value", 0)}},
			func(t *testing.T, m *weights.Model) {
				if findTensor(m, "roi") != nil {
					t.Error("unused roi should be dropped")
				}
			}},
		{"resize 11 sizes", single(11, node("Resize", "n", []string{"x", "roi", "empty", "sizes"}, []string{"y"},
			attrS("mode", "linear"), attrS("coordinate_transformation_mode", "align_corners")),
			tensorF("roi", []int64{0}, nil), empty, sizes),
			want{op: "Resize", inputs: []string{"x", "", "", "sizes"}, attrs: []weights.Attr{
				str("mode", "linear"), str("coordinate_transformation_mode", "align_corners")}}, nil},
		{"resize 13 crop", single(13, node("Resize", "n", []string{"x", "roi", "scales"}, []string{"y"},
			attrS("coordinate_transformation_mode", "tf_crop_and_resize")),
			tensorF("roi", []int64{8}, []float32{0, 0, 0, 0, 1, 1, 1, 1}), scales),
			want{op: "Resize", inputs: []string{"x", "roi", "scales", ""}}, nil},
		{"resize 10", single(10, node("Resize", "n", []string{"x", "scales"}, []string{"y"}), scales),
			want{op: "Resize", inputs: []string{"x", "", "scales", ""}, attrs: []weights.Attr{
				str("mode", "nearest"), str("coordinate_transformation_mode", "asymmetric"), str("nearest_mode", "floor")}}, nil},
		{"upsample 9", single(9, node("Upsample", "n", []string{"x", "scales"}, []string{"y"}, attrS("mode", "nearest")), scales),
			want{op: "Resize", inputs: []string{"x", "", "scales", ""}, attrs: []weights.Attr{
				str("mode", "nearest"), str("coordinate_transformation_mode", "asymmetric"), str("nearest_mode", "floor")},
				absent: []string{"scales"}}, nil},
		{"upsample 7 attr", single(7, node("Upsample", "n", []string{"x"}, []string{"y"}, attrS("mode", "linear"), attrFs("scales", 1, 1, 2, 2))),
			want{op: "Resize", inputs: []string{"x", "", "n_scales", ""}, attrs: []weights.Attr{
				str("mode", "linear"), str("coordinate_transformation_mode", "asymmetric")}, absent: []string{"scales"}},
			func(t *testing.T, m *weights.Model) {
				if tn := findTensor(m, "n_scales"); tn == nil || !reflect.DeepEqual(tn.Float, []float32{1, 1, 2, 2}) {
					t.Errorf("n_scales = %+v", tn)
				}
			}},
		{"maxpool", single(11, node("MaxPool", "n", []string{"x"}, []string{"y"}, attrIs("kernel_shape", 2, 2), attrIs("strides", 2, 2))),
			want{op: "MaxPool", attrs: []weights.Attr{ints("kernel_shape", 2, 2), ints("strides", 2, 2),
				ints("pads", 0, 0, 0, 0), ints("dilations", 1, 1), integer("ceil_mode", 0)}}, nil},
		{"avgpool same", single(11, node("AveragePool", "n", []string{"x"}, []string{"y"}, attrIs("kernel_shape", 3, 3), attrS("auto_pad", "SAME_UPPER"))),
			want{op: "AveragePool", attrs: []weights.Attr{str("auto_pad", "SAME_UPPER"), integer("count_include_pad", 0)},
				absent: []string{"pads"}}, nil},
		{"conv valid", single(11, node("Conv", "n", []string{"x", "w"}, []string{"y"}, attrS("auto_pad", "VALID"), attrIs("pads", 1, 1, 1, 1)),
			tensorF("w", []int64{2, 4, 1, 1}, make([]float32, 8))),
			want{op: "Conv", inputs: []string{"x", "w"}, attrs: []weights.Attr{ints("pads", 0, 0, 0, 0), ints("kernel_shape", 1, 1)},
				absent: []string{"auto_pad"}}, nil},
		{"gemm", single(11, node("Gemm", "n", []string{"x", "w"}, []string{"y"}, attrI("transB", 1)),
			tensorF("w", []int64{2, 4}, make([]float32, 8))),
			want{op: "Gemm", attrs: []weights.Attr{integer("transB", 1), integer("transA", 0), flt("alpha", 1), flt("beta", 1)}}, nil},
		{"flatten leakyrelu defaults", single(11, node("Flatten", "n", []string{"x"}, []string{"y"})),
			want{op: "Flatten", attrs: []weights.Attr{integer("axis", 1)}}, nil},
		{"leakyrelu", single(11, node("LeakyRelu", "n", []string{"x"}, []string{"y"})),
			want{op: "LeakyRelu", attrs: []weights.Attr{flt("alpha", 0.01)}}, nil},
		{"cast", single(11, node("Cast", "n", []string{"x"}, []string{"y"}, attrI("to", dtInt64))),
			want{op: "Cast", attrs: []weights.Attr{integer("to", dtInt64)}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustImport(t, tc.data)
			n := findNode(m, "n")
			if n == nil {
				t.Fatalf("node n missing: %+v", m.Graph.Nodes)
			}
			if n.Op != tc.want.op {
				t.Errorf("op %s, want %s", n.Op, tc.want.op)
			}
			if tc.want.inputs != nil && !reflect.DeepEqual(n.Inputs, tc.want.inputs) {
				t.Errorf("inputs %q, want %q", n.Inputs, tc.want.inputs)
			}
			if len(n.Outputs) != 1 || n.Outputs[0] != "y" {
				t.Errorf("outputs %q, want [y]", n.Outputs)
			}
			for _, a := range tc.want.attrs {
				got := n.Attr(a.Name)
				if got == nil || !reflect.DeepEqual(*got, a) {
					t.Errorf("attribute %s = %+v, want %+v", a.Name, got, a)
				}
			}
			for _, name := range tc.want.absent {
				if n.Attr(name) != nil {
					t.Errorf("attribute %s should be absent", name)
				}
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

func TestDropoutTrainingMode(t *testing.T) {
	for _, tc := range []struct {
		tm   int64
		fail bool
	}{{0, false}, {1, true}} {
		data := single(12, node("Dropout", "n", []string{"x", "", "tm"}, []string{"y"}),
			cat(pInt(2, dtBool), pStr(8, "tm"), pBytes(9, []byte{byte(tc.tm)})))
		_, err := Import(data, Options{})
		if (err != nil) != tc.fail {
			t.Errorf("training_mode %d: err = %v", tc.tm, err)
		}
	}
}

func TestConstantNodes(t *testing.T) {
	g := graphSpec{
		name: "c",
		nodes: [][]byte{
			node("Constant", "k1", nil, []string{"shape"}, attrT("value", tensorI("ignored", []int64{2}, []int64{1, -1}))),
			node("Constant", "k2", nil, []string{"two"}, attrF("value_float", 2)),
			node("Constant", "k3", nil, []string{"idx"}, attrIs("value_ints", 0, 1)),
			node("Reshape", "r", []string{"x", "shape"}, []string{"flat"}),
			node("Mul", "m", []string{"flat", "two"}, []string{"y"}),
		},
		inputs:  [][]byte{vi("x", "N", 4)},
		outputs: [][]byte{vi("y", "N", 4)},
	}
	m := mustImport(t, model(13, g))
	if len(m.Graph.Nodes) != 2 {
		t.Fatalf("nodes %+v: Constant nodes must become tensors", m.Graph.Nodes)
	}
	if tn := findTensor(m, "shape"); tn == nil || tn.DType != weights.Int64 || !reflect.DeepEqual(tn.Int, []int64{1, -1}) {
		t.Errorf("shape tensor %+v", tn)
	}
	if tn := findTensor(m, "two"); tn == nil || len(tn.Shape) != 0 || !reflect.DeepEqual(tn.Float, []float32{2}) {
		t.Errorf("two tensor %+v", tn)
	}
	if findTensor(m, "idx") != nil {
		t.Error("unused constant idx should be dropped")
	}
}

func TestTopologicalSort(t *testing.T) {
	// Nodes listed consumer-first: the importer must reorder them, keeping
	// independent nodes in file order.
	g := graphSpec{
		name: "t",
		nodes: [][]byte{
			node("Add", "add", []string{"a", "b"}, []string{"y"}),
			node("Relu", "ra", []string{"x"}, []string{"a"}),
			node("Sigmoid", "rb", []string{"a"}, []string{"b"}),
			node("Relu", "independent", []string{"x"}, []string{"z"}),
		},
		inputs:  [][]byte{vi("x", 1)},
		outputs: [][]byte{vi("y", 1), vi("z", 1)},
	}
	m := mustImport(t, model(11, g))
	var order []string
	for _, n := range m.Graph.Nodes {
		order = append(order, n.Name)
	}
	if want := []string{"ra", "rb", "add", "independent"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

func TestNodeNames(t *testing.T) {
	g := graphSpec{
		name: "t",
		nodes: [][]byte{
			node("Relu", "", []string{"x"}, []string{"a"}),
			node("Relu", "dup", []string{"a"}, []string{"b"}),
			node("Relu", "dup", []string{"b"}, []string{"y"}),
		},
		inputs:  [][]byte{vi("x", 1)},
		outputs: [][]byte{vi("y", 1)},
	}
	m := mustImport(t, model(11, g))
	var names []string
	for _, n := range m.Graph.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"Relu_0", "dup", "dup_1"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
}

func TestDims(t *testing.T) {
	g := convReluGraph()
	g.inputs[0] = cat(pStr(1, "x"), pBytes(2, pBytes(1, cat(pInt(1, dtFloat), pBytes(2, cat(
		pBytes(1, pStr(2, "batch")), pBytes(1, nil), pBytes(1, pInt(1, 8)), pBytes(1, pInt(1, 8))))))))
	g.outputs[0] = viNoShape("y")
	m := mustImport(t, model(11, g))
	want := []weights.Dim{{Param: "batch"}, {Param: "?"}, {Value: 8}, {Value: 8}}
	if !reflect.DeepEqual(m.Graph.Inputs[0].Shape, want) {
		t.Errorf("input dims %+v, want %+v", m.Graph.Inputs[0].Shape, want)
	}
	if m.Graph.Outputs[0].Shape != nil {
		t.Errorf("output without shape got %+v", m.Graph.Outputs[0].Shape)
	}
}
