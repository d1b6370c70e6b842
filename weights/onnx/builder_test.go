package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// A tiny ONNX writer for tests, built on protowire so that hand-made models
// exercise exactly the wire forms real exporters produce (packed and
// unpacked repeated fields, raw_data and typed data).

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func pStr(num protowire.Number, s string) []byte {
	return protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), s)
}

func pBytes(num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), v)
}

func pInt(num protowire.Number, v int64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), uint64(v))
}

func pFloat(num protowire.Number, v float32) []byte {
	return protowire.AppendFixed32(protowire.AppendTag(nil, num, protowire.Fixed32Type), math.Float32bits(v))
}

func pPackedInts(num protowire.Number, v []int64) []byte {
	var body []byte
	for _, x := range v {
		body = protowire.AppendVarint(body, uint64(x))
	}
	return pBytes(num, body)
}

// ONNX messages.

func tensorF(name string, dims []int64, vals []float32) []byte {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return cat(pPackedInts(1, dims), pInt(2, dtFloat), pStr(8, name), pBytes(9, raw))
}

func tensorI(name string, dims []int64, vals []int64) []byte {
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return cat(pPackedInts(1, dims), pInt(2, dtInt64), pStr(8, name), pBytes(9, raw))
}

func attrI(name string, v int64) []byte {
	return cat(pStr(1, name), pInt(20, attrInt), pInt(3, v))
}

func attrF(name string, v float32) []byte {
	return cat(pStr(1, name), pInt(20, attrFloat), pFloat(2, v))
}

func attrS(name, v string) []byte {
	return cat(pStr(1, name), pInt(20, attrString), pStr(4, v))
}

// attrIs writes INTS unpacked, as the ONNX Python helper does.
func attrIs(name string, v ...int64) []byte {
	b := cat(pStr(1, name), pInt(20, attrInts))
	for _, x := range v {
		b = append(b, pInt(8, x)...)
	}
	return b
}

func attrFs(name string, v ...float32) []byte {
	b := cat(pStr(1, name), pInt(20, attrFloats))
	for _, x := range v {
		b = append(b, pFloat(7, x)...)
	}
	return b
}

func attrT(name string, tensor []byte) []byte {
	return cat(pStr(1, name), pInt(20, attrTensor), pBytes(5, tensor))
}

func node(op, name string, ins, outs []string, attrs ...[]byte) []byte {
	var b []byte
	for _, in := range ins {
		b = append(b, pStr(1, in)...)
	}
	for _, o := range outs {
		b = append(b, pStr(2, o)...)
	}
	b = append(b, pStr(3, name)...)
	b = append(b, pStr(4, op)...)
	for _, a := range attrs {
		b = append(b, pBytes(5, a)...)
	}
	return b
}

// vi describes a float tensor; dims are int (dim_value), string
// (dim_param) or nil (neither). No dims at all means a scalar; use
// viNoShape for an unknown rank.
func vi(name string, dims ...any) []byte {
	var shape []byte
	for _, d := range dims {
		var dim []byte
		switch d := d.(type) {
		case int:
			dim = pInt(1, int64(d))
		case string:
			dim = pStr(2, d)
		}
		shape = append(shape, pBytes(1, dim)...)
	}
	tt := cat(pInt(1, dtFloat), pBytes(2, shape))
	return cat(pStr(1, name), pBytes(2, pBytes(1, tt)))
}

func viNoShape(name string) []byte {
	return cat(pStr(1, name), pBytes(2, pBytes(1, pInt(1, dtFloat))))
}

type graphSpec struct {
	name    string
	nodes   [][]byte
	inits   [][]byte
	inputs  [][]byte
	outputs [][]byte
}

func (g graphSpec) bytes() []byte {
	b := pStr(2, g.name)
	for _, n := range g.nodes {
		b = append(b, pBytes(1, n)...)
	}
	for _, t := range g.inits {
		b = append(b, pBytes(5, t)...)
	}
	for _, v := range g.inputs {
		b = append(b, pBytes(11, v)...)
	}
	for _, v := range g.outputs {
		b = append(b, pBytes(12, v)...)
	}
	return b
}

func opsetImport(domain string, version int64) []byte {
	return pBytes(8, cat(pStr(1, domain), pInt(2, version)))
}

// model wraps a graph in a ModelProto with the given default-domain opset.
func model(opset int64, g graphSpec, extra ...[]byte) []byte {
	b := cat(pInt(1, 7), pStr(2, "test"), pStr(3, "0.1"), opsetImport("", opset), pBytes(7, g.bytes()))
	for _, e := range extra {
		b = append(b, e...)
	}
	return b
}

// convReluGraph is a small valid network: Conv (weights and bias
// initializers, the weights also listed as a graph input, as old exporters
// did) followed by Relu, with a dynamic batch dimension.
func convReluGraph() graphSpec {
	w := make([]float32, 4*3*3*3)
	for i := range w {
		w[i] = float32(i) / 100
	}
	return graphSpec{
		name: "tiny",
		nodes: [][]byte{
			node("Conv", "conv0", []string{"x", "w", "b"}, []string{"c"}, attrIs("pads", 1, 1, 1, 1)),
			node("Relu", "relu0", []string{"c"}, []string{"y"}),
		},
		inits: [][]byte{
			tensorF("w", []int64{4, 3, 3, 3}, w),
			tensorF("b", []int64{4}, []float32{1, 2, 3, 4}),
		},
		inputs:  [][]byte{vi("x", "N", 3, 8, 8), vi("w", 4, 3, 3, 3)},
		outputs: [][]byte{vi("y", "N", 4, 8, 8)},
	}
}
