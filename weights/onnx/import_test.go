package onnx

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/facegate/facegate/weights"
)

func mustImport(t *testing.T, data []byte) *weights.Model {
	t.Helper()
	m, err := Import(data, Options{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	checkModel(t, m)
	return m
}

// checkModel asserts the invariants every imported model has, and that the
// weights format accepts it (Write validates like Read).
func checkModel(t testing.TB, m *weights.Model) {
	t.Helper()
	if err := invariants(m); err != "" {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := weights.Write(&buf, m); err != nil {
		t.Fatalf("weights.Write refuses the imported model: %v", err)
	}
}

// invariants returns a description of the first broken invariant, or "".
func invariants(m *weights.Model) string {
	defined := map[string]bool{}
	for _, in := range m.Graph.Inputs {
		defined[in.Name] = true
	}
	for _, tn := range m.Graph.Tensors {
		if defined[tn.Name] {
			return "tensor " + tn.Name + " defined twice"
		}
		defined[tn.Name] = true
		n := tn.Len()
		switch tn.DType {
		case weights.Float32:
			if int64(len(tn.Float)) != n || tn.Int != nil {
				return "float tensor " + tn.Name + " has wrong data length"
			}
		case weights.Int64:
			if int64(len(tn.Int)) != n || tn.Float != nil {
				return "int tensor " + tn.Name + " has wrong data length"
			}
		default:
			return "tensor " + tn.Name + " has bad dtype"
		}
	}
	for _, n := range m.Graph.Nodes {
		if n.Op == "Constant" || n.Op == "Dropout" || n.Op == "Upsample" {
			return "node " + n.Name + " has op " + n.Op + " which should have been normalised away"
		}
		if _, ok := opTable[n.Op]; !ok {
			return "node " + n.Name + " has unknown op " + n.Op
		}
		for _, in := range n.Inputs {
			if in != "" && !defined[in] {
				return "node " + n.Name + " uses " + in + " before it is defined"
			}
		}
		for _, o := range n.Outputs {
			defined[o] = true
		}
	}
	for _, o := range m.Graph.Outputs {
		if !defined[o.Name] {
			return "output " + o.Name + " undefined"
		}
	}
	return ""
}

func findNode(m *weights.Model, name string) *weights.Node {
	for i := range m.Graph.Nodes {
		if m.Graph.Nodes[i].Name == name {
			return &m.Graph.Nodes[i]
		}
	}
	return nil
}

func findTensor(m *weights.Model, name string) *weights.Tensor {
	for i := range m.Graph.Tensors {
		if m.Graph.Tensors[i].Name == name {
			return &m.Graph.Tensors[i]
		}
	}
	return nil
}

func TestImportConvRelu(t *testing.T) {
	data := model(11, convReluGraph())
	m := mustImport(t, data)

	if got := len(m.Graph.Inputs); got != 1 || m.Graph.Inputs[0].Name != "x" {
		t.Fatalf("inputs %+v: the initializer w must not be an input", m.Graph.Inputs)
	}
	wantShape := []weights.Dim{{Param: "N"}, {Value: 3}, {Value: 8}, {Value: 8}}
	if !reflect.DeepEqual(m.Graph.Inputs[0].Shape, wantShape) {
		t.Errorf("input shape %+v, want %+v", m.Graph.Inputs[0].Shape, wantShape)
	}
	if len(m.Graph.Tensors) != 2 {
		t.Fatalf("%d tensors, want 2", len(m.Graph.Tensors))
	}
	w := findTensor(m, "w")
	if w == nil || w.DType != weights.Float32 || !reflect.DeepEqual(w.Shape, []int64{4, 3, 3, 3}) || w.Float[5] != 0.05 {
		t.Errorf("tensor w = %+v", w)
	}
	conv := findNode(m, "conv0")
	if conv == nil {
		t.Fatal("conv0 missing")
	}
	for name, want := range map[string][]int64{
		"kernel_shape": {3, 3}, // from the weights
		"strides":      {1, 1},
		"dilations":    {1, 1},
		"pads":         {1, 1, 1, 1},
	} {
		if a := conv.Attr(name); a == nil || a.Kind != weights.AttrInts || !reflect.DeepEqual(a.Ints, want) {
			t.Errorf("conv %s = %+v, want %v", name, a, want)
		}
	}
	if a := conv.Attr("group"); a == nil || a.Int != 1 {
		t.Errorf("conv group = %+v, want 1", a)
	}
	if conv.Attr("auto_pad") != nil {
		t.Error("auto_pad NOTSET should be removed")
	}
	sum := sha256.Sum256(data)
	meta := m.Meta
	if meta.SourceSHA256 != hex.EncodeToString(sum[:]) || meta.Producer != "test 0.1" ||
		meta.Extra["opset"] != "11" || meta.Name != "tiny" {
		t.Errorf("metadata %+v", meta)
	}
	if meta.ColorOrder != "" || meta.Mean != nil || meta.Extra["role"] != "" {
		t.Errorf("unknown model got known-model metadata: %+v", meta)
	}
}

func TestImportOptions(t *testing.T) {
	data := model(11, convReluGraph(), pBytes(14, cat(pStr(1, "author"), pStr(2, "me"))))
	m, err := Import(data, Options{Name: "n", ColorOrder: "BGR", Mean: []float32{1, 2, 3},
		Std: []float32{4, 5, 6}, Role: "detector"})
	if err != nil {
		t.Fatal(err)
	}
	want := weights.Metadata{Name: "n", SourceSHA256: m.Meta.SourceSHA256, Producer: "test 0.1", ColorOrder: "BGR",
		Mean: []float32{1, 2, 3}, Std: []float32{4, 5, 6},
		Extra: map[string]string{"opset": "11", "ir_version": "7", "graph_name": "tiny", "role": "detector", "onnx.author": "me"}}
	if !reflect.DeepEqual(m.Meta, want) {
		t.Errorf("meta\n got %+v\nwant %+v", m.Meta, want)
	}
	for _, opt := range []Options{{ColorOrder: "rgb"}, {Mean: []float32{1}}, {Mean: []float32{1}, Std: []float32{0}}} {
		if _, err := Import(data, opt); err == nil {
			t.Errorf("options %+v accepted", opt)
		}
	}
}

func TestImportFileName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my.model.onnx")
	if err := os.WriteFile(path, model(11, convReluGraph()), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ImportFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Meta.Name != "my.model" || m.Meta.SourceFile != "my.model.onnx" {
		t.Errorf("name %q source %q", m.Meta.Name, m.Meta.SourceFile)
	}
	if _, err := ImportFile(filepath.Join(t.TempDir(), "missing.onnx"), Options{}); err == nil {
		t.Error("missing file accepted")
	}
}

// TestImportErrors feeds malformed or unsupported models; each must fail
// with an error containing want.
func TestImportErrors(t *testing.T) {
	base := convReluGraph()
	with := func(f func(g *graphSpec)) graphSpec {
		g := base
		g.nodes = append([][]byte{}, base.nodes...)
		g.inits = append([][]byte{}, base.inits...)
		g.inputs = append([][]byte{}, base.inputs...)
		g.outputs = append([][]byte{}, base.outputs...)
		f(&g)
		return g
	}
	relu := func(name, in, out string) []byte { return node("Relu", name, []string{in}, []string{out}) }
	good := model(11, base)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty input"},
		{"garbage", []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), "malformed"},
		{"truncated", good[:len(good)-7], "malformed"},
		{"text", []byte("this is not a model at all"), "malformed"},
		{"no graph", cat(pInt(1, 7), opsetImport("", 11)), "no graph"},
		{"no opset", cat(pInt(1, 7), pBytes(7, base.bytes())), "no default-domain"},
		{"old opset", model(6, base), "opset 6 is not supported"},
		{"new opset", model(99, base), "opset 99 is not supported"},
		{"conflicting opsets", model(11, base, opsetImport("ai.onnx", 12)), "conflicting"},
		{"wrong wire type", cat(pInt(2, 5), opsetImport("", 11), pBytes(7, base.bytes())), "wire type"},
		{"group", cat(protowireGroup(), opsetImport("", 11)), "malformed"},
		{"unsupported op", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("DynamicQuantizeLinear", "dq_1", []string{"c"}, []string{"y", "s", "z"})
		})), `node "dq_1": unsupported operator DynamicQuantizeLinear`},
		{"unsupported op anonymous", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("Foo", "", []string{"c"}, []string{"y"})
		})), `node "Foo_1": unsupported operator Foo`},
		{"foreign domain", model(11, with(func(g *graphSpec) {
			g.nodes[1] = cat(relu("r", "c", "y"), pStr(7, "com.microsoft"))
		})), `domain "com.microsoft"`},
		{"external data", model(11, with(func(g *graphSpec) {
			g.inits[1] = cat(pPackedInts(1, []int64{4}), pInt(2, dtFloat), pStr(8, "b"), pInt(14, 1))
		})), "EXTERNAL"},
		{"raw size", model(11, with(func(g *graphSpec) {
			g.inits[1] = cat(pPackedInts(1, []int64{5}), pInt(2, dtFloat), pStr(8, "b"), pBytes(9, make([]byte, 16)))
		})), `tensor "b": raw_data has 16 bytes`},
		{"no data", model(11, with(func(g *graphSpec) {
			g.inits[1] = cat(pPackedInts(1, []int64{4}), pInt(2, dtFloat), pStr(8, "b"))
		})), "0 elements stored"},
		{"dims overflow", model(11, with(func(g *graphSpec) {
			g.inits[1] = cat(pPackedInts(1, []int64{1 << 40, 1 << 40, 1 << 40}), pInt(2, dtFloat), pStr(8, "b"))
		})), "more than"},
		{"negative dim", model(11, with(func(g *graphSpec) {
			g.inits[1] = cat(pPackedInts(1, []int64{-4}), pInt(2, dtFloat), pStr(8, "b"))
		})), "negative"},
		{"rank", model(11, with(func(g *graphSpec) {
			g.inits[1] = cat(pPackedInts(1, make([]int64, 9)), pInt(2, dtFloat), pStr(8, "b"))
		})), "elements"},
		{"uint8", model(11, with(func(g *graphSpec) {
			g.inits[1] = cat(pPackedInts(1, []int64{4}), pInt(2, dtUint8), pStr(8, "b"), pBytes(9, make([]byte, 4)))
		})), `tensor "b": data type UINT8 is not supported`},
		{"two data fields", model(11, with(func(g *graphSpec) {
			g.inits[1] = cat(tensorF("b", []int64{1}, []float32{1}), pFloat(4, 2))
		})), "more than one data field"},
		{"unnamed initializer", model(11, with(func(g *graphSpec) {
			g.inits[1] = cat(pPackedInts(1, []int64{1}), pInt(2, dtFloat), pFloat(4, 2))
		})), "no name"},
		{"duplicate initializer", model(11, with(func(g *graphSpec) {
			g.inits = append(g.inits, g.inits[1])
		})), `"b" is defined more than once`},
		{"duplicate output", model(11, with(func(g *graphSpec) {
			g.nodes = append(g.nodes, relu("r2", "x", "c"))
		})), `output "c" is defined more than once`},
		{"undefined input", model(11, with(func(g *graphSpec) {
			g.nodes[1] = relu("relu0", "nowhere", "y")
		})), `input "nowhere" is not produced`},
		{"cycle", model(11, with(func(g *graphSpec) {
			g.nodes = [][]byte{
				node("Add", "a", []string{"x", "q"}, []string{"p"}),
				relu("b", "p", "q"),
				relu("c", "q", "y"),
			}
		})), "cycle"},
		{"self loop", model(11, with(func(g *graphSpec) {
			g.nodes = [][]byte{node("Add", "a", []string{"x", "y"}, []string{"y"})}
		})), "cycle"},
		{"missing output", model(11, with(func(g *graphSpec) {
			g.outputs = [][]byte{vi("zz", 1)}
		})), `graph output "zz" is not produced`},
		{"no outputs", model(11, with(func(g *graphSpec) { g.outputs = nil })), "no outputs"},
		{"zero dim value", model(11, with(func(g *graphSpec) {
			g.inputs[0] = vi("x", -1, 3, 8, 8)
		})), "dimension 0 is -1"},
		{"non-float input", model(11, with(func(g *graphSpec) {
			g.inputs[0] = cat(pStr(1, "x"), pBytes(2, pBytes(1, pInt(1, dtUint8))))
		})), "element type UINT8"},
		{"sequence input", model(11, with(func(g *graphSpec) {
			g.inputs[0] = cat(pStr(1, "x"), pBytes(2, pBytes(4, nil)))
		})), "not a tensor"},
		{"input arity", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("Relu", "relu0", []string{"c", "c"}, []string{"y"})
		})), "Relu has 2 inputs"},
		{"cast int32", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("Cast", "cast0", []string{"c"}, []string{"y"}, attrI("to", dtInt32))
		})), "Cast to INT32 is not supported"},
		{"graph attribute", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("Relu", "relu0", []string{"c"}, []string{"y"}, cat(pStr(1, "body"), pInt(20, attrGraph), pBytes(6, nil)))
		})), "type GRAPH is not supported"},
		{"attr wrong kind", model(11, with(func(g *graphSpec) {
			g.nodes[0] = node("Conv", "conv0", []string{"x", "w", "b"}, []string{"c"}, attrI("pads", 1))
		})), `attribute "pads" has the wrong type`},
		{"attr twice", model(11, with(func(g *graphSpec) {
			g.nodes[0] = node("Conv", "conv0", []string{"x", "w", "b"}, []string{"c"}, attrI("group", 1), attrI("group", 1))
		})), "appears twice"},
		{"bad pads length", model(11, with(func(g *graphSpec) {
			g.nodes[0] = node("Conv", "conv0", []string{"x", "w", "b"}, []string{"c"}, attrIs("pads", 1, 1))
		})), "pads has 2 values, want 4"},
		{"bad auto_pad", model(11, with(func(g *graphSpec) {
			g.nodes[0] = node("Conv", "conv0", []string{"x", "w", "b"}, []string{"c"}, attrS("auto_pad", "FULL"))
		})), "auto_pad"},
		{"zero stride", model(11, with(func(g *graphSpec) {
			g.nodes[0] = node("Conv", "conv0", []string{"x", "w", "b"}, []string{"c"}, attrIs("strides", 0, 1))
		})), "at least 1"},
		{"maxpool indices used", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("MaxPool", "mp", []string{"c"}, []string{"y", "idx"}, attrIs("kernel_shape", 2, 2))
			g.outputs = append(g.outputs, vi("idx"))
		})), `output "idx" is used`},
		{"dropout mask used", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("Dropout", "d", []string{"c"}, []string{"y", "mask"})
			g.nodes = append(g.nodes, relu("r", "mask", "z"))
		})), `output "mask" is used`},
		{"unsqueeze dynamic axes", model(13, with(func(g *graphSpec) {
			g.nodes[1] = node("Unsqueeze", "u", []string{"c", "x"}, []string{"y"})
		})), `Unsqueeze axes "x" must be a constant`},
		{"unsqueeze axes attr in 13", model(13, with(func(g *graphSpec) {
			g.nodes[1] = node("Unsqueeze", "u", []string{"c"}, []string{"y"}, attrIs("axes", 0))
		})), "not an attribute"},
		{"unsqueeze no axes", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("Unsqueeze", "u", []string{"c"}, []string{"y"})
		})), "needs axes"},
		{"concat no axis", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("Concat", "cc", []string{"c", "c"}, []string{"y"})
		})), "needs an axis"},
		{"resize both", model(11, with(func(g *graphSpec) {
			g.inits = append(g.inits, tensorF("sc", []int64{4}, []float32{1, 1, 2, 2}), tensorI("sz", []int64{4}, []int64{1, 4, 16, 16}))
			g.nodes[1] = node("Resize", "rs", []string{"c", "", "sc", "sz"}, []string{"y"})
		})), "not both"},
		{"resize antialias", model(18, with(func(g *graphSpec) {
			g.inits = append(g.inits, tensorF("sc", []int64{4}, []float32{1, 1, 2, 2}))
			g.nodes[1] = node("Resize", "rs", []string{"c", "", "sc"}, []string{"y"}, attrI("antialias", 1))
		})), "antialias"},
		{"clip dynamic bound", model(11, with(func(g *graphSpec) {
			g.nodes[1] = node("Clip", "cl", []string{"c", "x"}, []string{"y"})
		})), "must be a constant"},
		{"constant sparse", model(11, with(func(g *graphSpec) {
			g.nodes = append([][]byte{node("Constant", "k", nil, []string{"kk"}, cat(pStr(1, "sparse_value"), pInt(20, attrSparse), pBytes(22, nil)))}, g.nodes...)
		})), "Constant attribute"},
		{"invalid utf8 name", model(11, with(func(g *graphSpec) {
			g.nodes[1] = relu("\xff\xfe", "c", "y")
		})), "UTF-8"},
		{"functions", cat(model(11, base), pBytes(25, nil)), "functions"},
		// Controls: the unmodified model, and one with an unknown field
		// (which protobuf readers must skip), import.
		{"control", good, ""},
		{"unknown field", cat(good, pStr(99, "future")), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Import(tc.data, Options{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				checkModel(t, m)
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "onnx: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func protowireGroup() []byte {
	return []byte{0x0b, 0x0c} // field 1 start group, end group
}

func TestSparseInitializerRejected(t *testing.T) {
	g := convReluGraph()
	// Re-encode with a sparse_initializer (field 15) appended to the graph.
	gb := append(g.bytes(), pBytes(15, nil)...)
	data := cat(pInt(1, 7), opsetImport("", 11), pBytes(7, gb))
	if _, err := Import(data, Options{}); err == nil || !strings.Contains(err.Error(), "sparse") {
		t.Fatalf("err = %v, want sparse initializers rejected", err)
	}
}

// TestTensorTypes checks every supported element type and data field.
func TestTensorTypes(t *testing.T) {
	half := func(v ...uint16) []byte {
		b := make([]byte, 2*len(v))
		for i, x := range v {
			b[2*i], b[2*i+1] = byte(x), byte(x>>8)
		}
		return b
	}
	dbl := make([]byte, 16)
	for i, v := range []float64{1.5, -2.25} {
		u := math.Float64bits(v)
		for j := range 8 {
			dbl[8*i+j] = byte(u >> (8 * j))
		}
	}
	tests := []struct {
		name   string
		tensor []byte
		want   weights.Tensor
	}{
		{"float raw", tensorF("t", []int64{2}, []float32{1, -2}),
			weights.Tensor{DType: weights.Float32, Shape: []int64{2}, Float: []float32{1, -2}}},
		{"float_data packed", cat(pPackedInts(1, []int64{2}), pInt(2, dtFloat), pStr(8, "t"), pBytes(4, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40})),
			weights.Tensor{DType: weights.Float32, Shape: []int64{2}, Float: []float32{1, 2}}},
		{"float_data unpacked", cat(pInt(1, 2), pInt(2, dtFloat), pStr(8, "t"), pFloat(4, 3), pFloat(4, 4)),
			weights.Tensor{DType: weights.Float32, Shape: []int64{2}, Float: []float32{3, 4}}},
		{"scalar", cat(pInt(2, dtFloat), pStr(8, "t"), pFloat(4, 7)),
			weights.Tensor{DType: weights.Float32, Float: []float32{7}}},
		{"empty", cat(pPackedInts(1, []int64{0}), pInt(2, dtFloat), pStr(8, "t")),
			weights.Tensor{DType: weights.Float32, Shape: []int64{0}, Float: []float32{}}},
		{"int64 raw", tensorI("t", []int64{3}, []int64{-1, 0, 1 << 40}),
			weights.Tensor{DType: weights.Int64, Shape: []int64{3}, Int: []int64{-1, 0, 1 << 40}}},
		{"int64_data", cat(pPackedInts(1, []int64{2}), pInt(2, dtInt64), pStr(8, "t"), pPackedInts(7, []int64{-5, 9})),
			weights.Tensor{DType: weights.Int64, Shape: []int64{2}, Int: []int64{-5, 9}}},
		{"int32_data", cat(pPackedInts(1, []int64{2}), pInt(2, dtInt32), pStr(8, "t"), pPackedInts(5, []int64{-7, 3})),
			weights.Tensor{DType: weights.Int64, Shape: []int64{2}, Int: []int64{-7, 3}}},
		{"int32 raw", cat(pPackedInts(1, []int64{1}), pInt(2, dtInt32), pStr(8, "t"), pBytes(9, []byte{0xfe, 0xff, 0xff, 0xff})),
			weights.Tensor{DType: weights.Int64, Shape: []int64{1}, Int: []int64{-2}}},
		{"float16 raw", cat(pPackedInts(1, []int64{5}), pInt(2, dtFloat16), pStr(8, "t"), pBytes(9, half(0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00))),
			weights.Tensor{DType: weights.Float32, Shape: []int64{5}, Float: []float32{1, -2, 0.5, 5.960464477539063e-08, float32(math.Inf(1))}}},
		{"float16 int32_data", cat(pPackedInts(1, []int64{1}), pInt(2, dtFloat16), pStr(8, "t"), pPackedInts(5, []int64{0x3555})),
			weights.Tensor{DType: weights.Float32, Shape: []int64{1}, Float: []float32{0.333251953125}}},
		{"bfloat16", cat(pPackedInts(1, []int64{1}), pInt(2, dtBfloat16), pStr(8, "t"), pBytes(9, half(0x3fc0))),
			weights.Tensor{DType: weights.Float32, Shape: []int64{1}, Float: []float32{1.5}}},
		{"double raw", cat(pPackedInts(1, []int64{2}), pInt(2, dtDouble), pStr(8, "t"), pBytes(9, dbl)),
			weights.Tensor{DType: weights.Float32, Shape: []int64{2}, Float: []float32{1.5, -2.25}}},
		{"bool", cat(pPackedInts(1, []int64{3}), pInt(2, dtBool), pStr(8, "t"), pBytes(9, []byte{0, 1, 7})),
			weights.Tensor{DType: weights.Int64, Shape: []int64{3}, Int: []int64{0, 1, 1}}},
		{"double_data", cat(pPackedInts(1, []int64{2}), pInt(2, dtDouble), pStr(8, "t"), pBytes(10, dbl)),
			weights.Tensor{DType: weights.Float32, Shape: []int64{2}, Float: []float32{1.5, -2.25}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp, err := decodeTensor(tc.tensor)
			if err != nil {
				t.Fatal(err)
			}
			got, err := convertTensor(&tp, "t")
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Name = "t"
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
	bad := []struct {
		name   string
		tensor []byte
		want   string
	}{
		{"float in int64_data", cat(pInt(1, 1), pInt(2, dtFloat), pPackedInts(7, []int64{1})), "stored in int64_data"},
		{"string", cat(pInt(1, 1), pInt(2, dtString), pBytes(6, []byte("a"))), "STRING"},
		{"segment", cat(pInt(1, 1), pInt(2, dtFloat), pBytes(3, nil), pFloat(4, 1)), "segment"},
		{"odd packed floats", cat(pInt(1, 1), pInt(2, dtFloat), pBytes(4, []byte{1, 2, 3})), "multiple of 4"},
		{"int8", cat(pInt(1, 1), pInt(2, dtInt8), pBytes(9, []byte{1})), "INT8"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			tp, err := decodeTensor(tc.tensor)
			if err == nil {
				_, err = convertTensor(&tp, "t")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestHalfToFloatExhaustive(t *testing.T) {
	// Every finite half value must round-trip through float32 -> half by
	// the exact formula sign * 2^(e-15) * (1 + f/1024) (or subnormal).
	for h := 0; h < 1<<16; h++ {
		got := halfToFloat(uint16(h))
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		e, f := (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case e == 0x1f && f == 0:
			want = sign * math.Inf(1)
		case e == 0x1f:
			if !math.IsNaN(float64(got)) {
				t.Fatalf("%#04x: got %v, want NaN", h, got)
			}
			continue
		case e == 0:
			want = sign * math.Ldexp(float64(f), -24)
		default:
			want = sign * math.Ldexp(1+float64(f)/1024, e-15)
		}
		if float64(got) != want || math.Signbit(float64(got)) != (sign < 0) {
			t.Fatalf("%#04x: got %v, want %v", h, got, want)
		}
	}
}
