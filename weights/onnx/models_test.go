package onnx

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/shared"
	"github.com/facegate/facegate/weights"
)

// The real networks of ../shared/models, with what MODELS.md and the files
// themselves say about them. Node counts are after Constant nodes became
// tensors (the MiniFASNets have two each).
var sharedModels = []struct {
	file     string
	ops      map[string]int
	inputs   []weights.ValueInfo
	outputs  map[string][]weights.Dim // a subset for YuNet's twelve outputs
	nOutputs int
	meta     weights.Metadata // ColorOrder, Mean, Std, Extra subset
}{
	{
		file: "face_detection_yunet_2023mar.onnx",
		ops: map[string]int{"Add": 2, "Conv": 53, "MaxPool": 4, "Relu": 15, "Reshape": 12, "Resize": 2,
			"Sigmoid": 6, "Transpose": 12},
		inputs: []weights.ValueInfo{{Name: "input", Shape: dims(1, 3, 640, 640)}},
		outputs: map[string][]weights.Dim{"cls_8": dims(1, 6400, 1), "obj_16": dims(1, 1600, 1),
			"bbox_32": dims(1, 400, 4), "kps_8": dims(1, 6400, 10)},
		nOutputs: 12,
		meta: weights.Metadata{ColorOrder: "BGR", Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1},
			Extra: map[string]string{"role": "detector", "input_size": "640x640", "opset": "11"}},
	},
	{
		file: "face_detection_yunet_2023mar_dynamic.onnx",
		ops: map[string]int{"Add": 2, "Concat": 12, "Conv": 53, "Gather": 12, "MaxPool": 4, "Relu": 15,
			"Reshape": 12, "Resize": 2, "Shape": 12, "Sigmoid": 6, "Transpose": 12, "Unsqueeze": 12},
		inputs: []weights.ValueInfo{{Name: "input", Shape: dims("batch", 3, "height", "width")}},
		outputs: map[string][]weights.Dim{"cls_8": dims("batch", "dim", 1), "obj_32": dims("batch", "dim", 1),
			"bbox_16": dims("batch", "dim", 4), "kps_32": dims("batch", "dim", 10)},
		nOutputs: 12,
		meta: weights.Metadata{ColorOrder: "BGR", Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1},
			Extra: map[string]string{"role": "detector", "opset": "11"}},
	},
	{
		file: "2.7_80x80_MiniFASNetV2.onnx",
		ops: map[string]int{"Add": 12, "BatchNormalization": 1, "Concat": 1, "Conv": 49, "Gather": 1,
			"MatMul": 2, "PRelu": 33, "Reshape": 1, "Shape": 1, "Unsqueeze": 1},
		inputs:   []weights.ValueInfo{{Name: "input", Shape: dims("batch", 3, 80, 80)}},
		outputs:  map[string][]weights.Dim{"logits": dims("batch", 3)},
		nOutputs: 1,
		meta: weights.Metadata{ColorOrder: "BGR", Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1},
			Extra: map[string]string{"role": "liveness", "input_size": "80x80", "crop_scale": "2.7", "opset": "11"}},
	},
	{
		file: "4_0_0_80x80_MiniFASNetV1SE.onnx",
		ops: map[string]int{"Add": 12, "BatchNormalization": 1, "Concat": 1, "Conv": 55, "Gather": 1,
			"GlobalAveragePool": 3, "MatMul": 2, "Mul": 3, "PRelu": 33, "Relu": 3, "Reshape": 1, "Shape": 1,
			"Sigmoid": 3, "Unsqueeze": 1},
		inputs:   []weights.ValueInfo{{Name: "input", Shape: dims("batch", 3, 80, 80)}},
		outputs:  map[string][]weights.Dim{"logits": dims("batch", 3)},
		nOutputs: 1,
		meta: weights.Metadata{ColorOrder: "BGR", Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1},
			Extra: map[string]string{"role": "liveness", "input_size": "80x80", "crop_scale": "4.0", "opset": "11"}},
	},
	{
		file:     "mobilefacenet128_paddle.onnx",
		ops:      map[string]int{"Add": 12, "Conv": 50, "PRelu": 33, "Reshape": 1},
		inputs:   []weights.ValueInfo{{Name: "x", Shape: dims("DynamicDimension.0", 3, 112, 112)}},
		outputs:  map[string][]weights.Dim{"reshape2_0.tmp_0": dims("DynamicDimension.0", 128)},
		nOutputs: 1,
		meta: weights.Metadata{ColorOrder: "RGB", Mean: []float32{127.5, 127.5, 127.5}, Std: []float32{127.5, 127.5, 127.5},
			Extra: map[string]string{"role": "embedder", "opset": "9"}},
	},
	{
		file: "w600k_mbf_fp32.onnx",
		ops: map[string]int{"Add": 13, "BatchNormalization": 1, "Conv": 49, "Flatten": 1, "MatMul": 1,
			"PRelu": 34},
		inputs: []weights.ValueInfo{{Name: "input.1", Shape: dims("None", 3, 112, 112)}},
		// MODELS.md says [N,512]; the file declares a fixed batch of 1 for
		// the output although the input batch is symbolic. The importer
		// keeps what the file says.
		outputs:  map[string][]weights.Dim{"516": dims(1, 512)},
		nOutputs: 1,
		meta: weights.Metadata{ColorOrder: "RGB", Mean: []float32{127.5, 127.5, 127.5}, Std: []float32{127.5, 127.5, 127.5},
			Extra: map[string]string{"role": "embedder", "opset": "11"}},
	},
}

func dims(ds ...any) []weights.Dim {
	out := make([]weights.Dim, len(ds))
	for i, d := range ds {
		switch d := d.(type) {
		case int:
			out[i].Value = int64(d)
		case string:
			out[i].Param = d
		}
	}
	return out
}

func TestSharedModels(t *testing.T) {
	for _, tc := range sharedModels {
		t.Run(tc.file, func(t *testing.T) {
			path := shared.Path(t, "models", tc.file)
			m, err := ImportFile(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkModel(t, m)
			hist := histogram(m)
			if !reflect.DeepEqual(hist, tc.ops) {
				t.Errorf("operators %v, want %v", hist, tc.ops)
			}
			if !reflect.DeepEqual(m.Graph.Inputs, tc.inputs) {
				t.Errorf("inputs %+v, want %+v", m.Graph.Inputs, tc.inputs)
			}
			if len(m.Graph.Outputs) != tc.nOutputs {
				t.Errorf("%d outputs, want %d", len(m.Graph.Outputs), tc.nOutputs)
			}
			for _, o := range m.Graph.Outputs {
				if want, ok := tc.outputs[o.Name]; ok && !reflect.DeepEqual(o.Shape, want) {
					t.Errorf("output %s shape %+v, want %+v", o.Name, o.Shape, want)
				}
				delete(tc.outputs, o.Name)
			}
			if len(tc.outputs) != 0 {
				t.Errorf("outputs missing: %v", tc.outputs)
			}
			wantName := strings.TrimSuffix(tc.file, ".onnx")
			if m.Meta.Name != wantName || m.Meta.SourceFile != tc.file || len(m.Meta.SourceSHA256) != 64 {
				t.Errorf("name %q source %q sha %q", m.Meta.Name, m.Meta.SourceFile, m.Meta.SourceSHA256)
			}
			if m.Meta.ColorOrder != tc.meta.ColorOrder || !reflect.DeepEqual(m.Meta.Mean, tc.meta.Mean) ||
				!reflect.DeepEqual(m.Meta.Std, tc.meta.Std) {
				t.Errorf("preprocessing %s %v %v, want %s %v %v", m.Meta.ColorOrder, m.Meta.Mean, m.Meta.Std,
					tc.meta.ColorOrder, tc.meta.Mean, tc.meta.Std)
			}
			for k, v := range tc.meta.Extra {
				if m.Meta.Extra[k] != v {
					t.Errorf("Extra[%q] = %q, want %q", k, m.Meta.Extra[k], v)
				}
			}
			// Round trip through the weights format: what the importer
			// makes, the format stores and reads back unchanged.
			var buf bytes.Buffer
			if err := weights.Write(&buf, m); err != nil {
				t.Fatal(err)
			}
			back, err := weights.Read(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Graph, m.Graph) || !reflect.DeepEqual(back.Meta, m.Meta) {
				t.Error("weights round trip changed the model")
			}
			t.Logf("%s: opset %s, producer %q, %d nodes, %d tensors; operators %s",
				tc.file, m.Meta.Extra["opset"], m.Meta.Producer, len(m.Graph.Nodes), len(m.Graph.Tensors), formatHist(hist))
			for _, q := range quirks(m) {
				t.Log("  " + q)
			}
		})
	}
}

// TestSharedInt8Unsupported: the dynamically quantised embedder uses
// operators facegate does not run; the error names the first one and its
// node.
func TestSharedInt8Unsupported(t *testing.T) {
	path := shared.Path(t, "models", "w600k_mbf_int8.onnx")
	_, err := ImportFile(path, Options{})
	want := `onnx: node "input.1_QuantizeLinear": unsupported operator DynamicQuantizeLinear (file w600k_mbf_int8.onnx)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

// TestKnownModelTable checks the table against SHA256SUMS, so a re-export
// of a model cannot silently lose its metadata.
func TestKnownModelTable(t *testing.T) {
	sums, err := os.ReadFile(shared.Path(t, "models", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	byFile := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			byFile[f[1]] = f[0]
		}
	}
	for sum, k := range knownModels {
		if byFile[k.name+".onnx"] != sum {
			t.Errorf("%s: table sha256 %s, SHA256SUMS has %s", k.name, sum, byFile[k.name+".onnx"])
		}
	}
	for file, sum := range byFile {
		if strings.HasSuffix(file, ".onnx") {
			if _, ok := knownModels[sum]; !ok {
				t.Errorf("%s is not in the known-model table", file)
			}
		}
	}
}

func histogram(m *weights.Model) map[string]int {
	h := map[string]int{}
	for _, n := range m.Graph.Nodes {
		h[n.Op]++
	}
	return h
}

func formatHist(h map[string]int) string {
	var parts []string
	for op, n := range h {
		parts = append(parts, fmt.Sprintf("%s:%d", op, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// quirks describes, for the test log, the structures the engine must handle:
// Resize forms, PRelu slope shapes, where BatchNormalization sits, Reshape
// targets, Softmax axes, shape sub-graphs.
func quirks(m *weights.Model) []string {
	producer := map[string]*weights.Node{}
	for i := range m.Graph.Nodes {
		for _, o := range m.Graph.Nodes[i].Outputs {
			producer[o] = &m.Graph.Nodes[i]
		}
	}
	tensor := map[string]*weights.Tensor{}
	for i := range m.Graph.Tensors {
		tensor[m.Graph.Tensors[i].Name] = &m.Graph.Tensors[i]
	}
	src := func(name string) string {
		if t := tensor[name]; t != nil {
			if t.DType == weights.Int64 {
				return fmt.Sprintf("const%v", t.Int)
			}
			if len(t.Float) <= 8 {
				return fmt.Sprintf("const%v", t.Float)
			}
			return fmt.Sprintf("const%v", t.Shape)
		}
		if p := producer[name]; p != nil {
			return p.Op
		}
		if name == "" {
			return `""`
		}
		return "input"
	}
	count := map[string]int{}
	var order []string
	add := func(s string) {
		if count[s] == 0 {
			order = append(order, s)
		}
		count[s]++
	}
	for _, n := range m.Graph.Nodes {
		var ins []string
		for _, in := range n.Inputs {
			ins = append(ins, src(in))
		}
		switch n.Op {
		case "Resize":
			add(fmt.Sprintf("Resize(%s) mode=%s coord=%s nearest=%s", strings.Join(ins, ", "),
				n.Attr("mode").String, n.Attr("coordinate_transformation_mode").String, n.Attr("nearest_mode").String))
		case "PRelu":
			add(fmt.Sprintf("PRelu slope shape %v", tensor[n.Inputs[1]].Shape))
		case "BatchNormalization":
			add(fmt.Sprintf("BatchNormalization after %s", ins[0]))
		case "Reshape":
			add(fmt.Sprintf("Reshape(%s)", strings.Join(ins, ", ")))
		case "Flatten":
			add(fmt.Sprintf("Flatten axis=%d after %s", n.Attr("axis").Int, ins[0]))
		case "Softmax":
			add(fmt.Sprintf("Softmax axis=%d coerce_2d=%v", n.Attr("axis").Int, n.Attr("coerce_2d") != nil))
		case "Gather", "Concat", "Unsqueeze", "Shape":
			desc := fmt.Sprintf("%s(%s)", n.Op, strings.Join(ins, ", "))
			if a := n.Attr("axes"); a != nil {
				desc += fmt.Sprintf(" axes=%v", a.Ints)
			}
			if a := n.Attr("axis"); a != nil {
				desc += fmt.Sprintf(" axis=%d", a.Int)
			}
			add(desc)
		case "MatMul":
			add(fmt.Sprintf("MatMul(%s)", strings.Join(ins, ", ")))
		case "Transpose":
			add(fmt.Sprintf("Transpose perm=%v", n.Attr("perm").Ints))
		case "MaxPool":
			add(fmt.Sprintf("MaxPool k=%v s=%v p=%v", n.Attr("kernel_shape").Ints, n.Attr("strides").Ints, n.Attr("pads").Ints))
		case "Conv":
			g := n.Attr("group").Int
			kind := "dense"
			if w := tensor[n.Inputs[1]]; w != nil && g > 1 && g == w.Shape[0] {
				kind = "depthwise"
			} else if g > 1 {
				kind = "grouped"
			}
			add(fmt.Sprintf("Conv %s k=%v s=%v bias=%v", kind, n.Attr("kernel_shape").Ints, n.Attr("strides").Ints, len(n.Inputs) == 3))
		}
	}
	var out []string
	for _, s := range order {
		out = append(out, fmt.Sprintf("%dx %s", count[s], s))
	}
	return out
}

// BenchmarkImport measures conversion speed on the largest shared model
// (13.6 MB of float32 weights), reported as MB/s of ONNX input.
func BenchmarkImport(b *testing.B) {
	data, err := os.ReadFile(shared.Path(b, "models", "w600k_mbf_fp32.onnx"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Import(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
