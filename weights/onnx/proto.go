package onnx

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file hand-decodes the handful of onnx.proto messages the importer
// needs, straight from the wire format (field numbers from onnx/onnx.proto,
// IR version 10). Nothing here trusts a length or a count: every length is
// checked against the bytes that remain, every repeated field grows only as
// elements are actually read, and the caps below bound what a small input
// can make us allocate.

const (
	maxNodes      = 200_000 // nodes in the graph
	maxTensors    = 200_000 // initializers
	maxValueInfos = 10_000  // graph inputs, outputs
	maxNodeIO     = 10_000  // inputs or outputs of one node
	maxAttrs      = 1_000   // attributes of one node
	maxRank       = 8       // dims of a tensor or value (the weights format's limit)
	maxOpsets     = 1_000
	maxProps      = 1_000   // metadata_props (Meta.Extra holds at most 1024 entries)
	maxElements   = 1 << 28 // elements of one tensor (1 GiB as float32)
	maxString     = 1 << 16 // bytes in a name or string attribute (the weights format's limit)
)

// errMalformed marks wire data that is not a valid encoding of the
// expected message; it is wrapped with the path of the message.
var errMalformed = errors.New("malformed protobuf")

// errTooLong marks a string longer than maxString.
var errTooLong = errors.New("string too long")

// field is one decoded wire field. For varint fields u holds the value, for
// fixed32/fixed64 fields u holds the bits, for length-delimited fields b
// holds the payload (aliasing the input).
type field struct {
	num protowire.Number
	typ protowire.Type
	u   uint64
	b   []byte
}

// forEachField walks the fields of one message. Groups (deprecated, unused by
// ONNX) are rejected rather than skipped so that nesting stays flat.
func forEachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", errMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.u = uint64(v)
		case protowire.Fixed64Type:
			f.u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			return fmt.Errorf("%w: field %d has unsupported wire type %d", errMalformed, num, typ)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %v", errMalformed, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func wrongType(f field, want string) error {
	return fmt.Errorf("%w: field %d has wire type %d, want %s", errMalformed, f.num, f.typ, want)
}

func (f field) bytes() ([]byte, error) {
	if f.typ != protowire.BytesType {
		return nil, wrongType(f, "bytes")
	}
	return f.b, nil
}

// str decodes a string field, which ONNX requires to be UTF-8.
func (f field) str() (string, error) {
	b, err := f.bytes()
	if err != nil {
		return "", err
	}
	if len(b) > maxString {
		return "", fmt.Errorf("%w: field %d has %d bytes, limit %d", errTooLong, f.num, len(b), maxString)
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%w: field %d is not valid UTF-8", errMalformed, f.num)
	}
	return string(b), nil
}

func (f field) int64() (int64, error) {
	if f.typ != protowire.VarintType {
		return 0, wrongType(f, "varint")
	}
	return int64(f.u), nil
}

func (f field) float32() (float32, error) {
	if f.typ != protowire.Fixed32Type {
		return 0, wrongType(f, "fixed32")
	}
	return math.Float32frombits(uint32(f.u)), nil
}

// appendVarints appends a repeated varint field, packed or not, to dst,
// refusing to grow dst beyond max elements.
func appendVarints(dst []int64, f field, max int) ([]int64, error) {
	switch f.typ {
	case protowire.VarintType:
		if len(dst) >= max {
			return nil, fmt.Errorf("%w: field %d has more than %d elements", errMalformed, f.num, max)
		}
		return append(dst, int64(f.u)), nil
	case protowire.BytesType:
		b := f.b
		for len(b) > 0 {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: field %d: %v", errMalformed, f.num, protowire.ParseError(n))
			}
			if len(dst) >= max {
				return nil, fmt.Errorf("%w: field %d has more than %d elements", errMalformed, f.num, max)
			}
			dst = append(dst, int64(v))
			b = b[n:]
		}
		return dst, nil
	}
	return nil, wrongType(f, "varint or packed varints")
}

// appendFixed32s appends a repeated float (fixed32) field, packed or not.
func appendFixed32s(dst []float32, f field, max int) ([]float32, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		if len(dst) >= max {
			return nil, fmt.Errorf("%w: field %d has more than %d elements", errMalformed, f.num, max)
		}
		return append(dst, math.Float32frombits(uint32(f.u))), nil
	case protowire.BytesType:
		if len(f.b)%4 != 0 {
			return nil, fmt.Errorf("%w: packed field %d has %d bytes, not a multiple of 4", errMalformed, f.num, len(f.b))
		}
		if len(dst)+len(f.b)/4 > max {
			return nil, fmt.Errorf("%w: field %d has more than %d elements", errMalformed, f.num, max)
		}
		for b := f.b; len(b) > 0; b = b[4:] {
			dst = append(dst, math.Float32frombits(uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24))
		}
		return dst, nil
	}
	return nil, wrongType(f, "fixed32 or packed fixed32")
}

// appendFixed64s appends a repeated double (fixed64) field, packed or not.
func appendFixed64s(dst []float64, f field, max int) ([]float64, error) {
	switch f.typ {
	case protowire.Fixed64Type:
		if len(dst) >= max {
			return nil, fmt.Errorf("%w: field %d has more than %d elements", errMalformed, f.num, max)
		}
		return append(dst, math.Float64frombits(f.u)), nil
	case protowire.BytesType:
		if len(f.b)%8 != 0 {
			return nil, fmt.Errorf("%w: packed field %d has %d bytes, not a multiple of 8", errMalformed, f.num, len(f.b))
		}
		if len(dst)+len(f.b)/8 > max {
			return nil, fmt.Errorf("%w: field %d has more than %d elements", errMalformed, f.num, max)
		}
		for b := f.b; len(b) > 0; b = b[8:] {
			var u uint64
			for i := 7; i >= 0; i-- {
				u = u<<8 | uint64(b[i])
			}
			dst = append(dst, math.Float64frombits(u))
		}
		return dst, nil
	}
	return nil, wrongType(f, "fixed64 or packed fixed64")
}

// modelProto is ModelProto, with the graph left undecoded.
type modelProto struct {
	irVersion       int64
	opsets          []opsetID
	producerName    string
	producerVersion string
	graph           []byte
	hasGraph        bool
	props           []stringPair
	hasFunctions    bool
}

type opsetID struct {
	domain  string
	version int64
}

type stringPair struct{ key, value string }

func decodeModel(b []byte) (*modelProto, error) {
	m := &modelProto{}
	err := forEachField(b, func(f field) error {
		var err error
		switch f.num {
		case 1:
			m.irVersion, err = f.int64()
		case 2:
			m.producerName, err = f.str()
		case 3:
			m.producerVersion, err = f.str()
		case 7:
			m.graph, err = f.bytes()
			m.hasGraph = true
		case 8:
			if len(m.opsets) >= maxOpsets {
				return fmt.Errorf("%w: more than %d opset imports", errMalformed, maxOpsets)
			}
			var raw []byte
			if raw, err = f.bytes(); err != nil {
				return err
			}
			var o opsetID
			if o, err = decodeOpset(raw); err != nil {
				return fmt.Errorf("opset_import: %w", err)
			}
			m.opsets = append(m.opsets, o)
		case 14:
			if len(m.props) >= maxProps {
				return fmt.Errorf("%w: more than %d metadata_props", errMalformed, maxProps)
			}
			var raw []byte
			if raw, err = f.bytes(); err != nil {
				return err
			}
			var p stringPair
			if p, err = decodeStringPair(raw); err != nil {
				if errors.Is(err, errTooLong) {
					return nil // informational only: drop an over-long entry
				}
				return fmt.Errorf("metadata_props: %w", err)
			}
			m.props = append(m.props, p)
		case 25:
			m.hasFunctions = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func decodeOpset(b []byte) (opsetID, error) {
	var o opsetID
	err := forEachField(b, func(f field) error {
		var err error
		switch f.num {
		case 1:
			o.domain, err = f.str()
		case 2:
			o.version, err = f.int64()
		}
		return err
	})
	return o, err
}

func decodeStringPair(b []byte) (stringPair, error) {
	var p stringPair
	err := forEachField(b, func(f field) error {
		var err error
		switch f.num {
		case 1:
			p.key, err = f.str()
		case 2:
			p.value, err = f.str()
		}
		return err
	})
	return p, err
}

// graphProto is GraphProto. Initializers are decoded to tensorProto, whose
// payload still aliases the input.
type graphProto struct {
	name         string
	nodes        []nodeProto
	initializers []tensorProto
	inputs       []valueInfo
	outputs      []valueInfo
	hasSparse    bool
}

func decodeGraph(b []byte) (*graphProto, error) {
	g := &graphProto{}
	err := forEachField(b, func(f field) error {
		var err error
		var raw []byte
		switch f.num {
		case 1, 5, 11, 12:
			if raw, err = f.bytes(); err != nil {
				return err
			}
		}
		switch f.num {
		case 1:
			if len(g.nodes) >= maxNodes {
				return fmt.Errorf("%w: more than %d nodes", errMalformed, maxNodes)
			}
			var n nodeProto
			if n, err = decodeNode(raw); err != nil {
				return fmt.Errorf("node %d: %w", len(g.nodes), err)
			}
			g.nodes = append(g.nodes, n)
		case 2:
			g.name, err = f.str()
		case 5:
			if len(g.initializers) >= maxTensors {
				return fmt.Errorf("%w: more than %d initializers", errMalformed, maxTensors)
			}
			var t tensorProto
			if t, err = decodeTensor(raw); err != nil {
				return fmt.Errorf("initializer %d: %w", len(g.initializers), err)
			}
			g.initializers = append(g.initializers, t)
		case 11, 12:
			list := &g.inputs
			what := "input"
			if f.num == 12 {
				list, what = &g.outputs, "output"
			}
			if len(*list) >= maxValueInfos {
				return fmt.Errorf("%w: more than %d graph %ss", errMalformed, maxValueInfos, what)
			}
			var v valueInfo
			if v, err = decodeValueInfo(raw); err != nil {
				return fmt.Errorf("graph %s %d: %w", what, len(*list), err)
			}
			*list = append(*list, v)
		case 15:
			g.hasSparse = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

type nodeProto struct {
	name, op, domain string
	inputs, outputs  []string
	attrs            []attrProto
}

func decodeNode(b []byte) (nodeProto, error) {
	var n nodeProto
	err := forEachField(b, func(f field) error {
		var err error
		switch f.num {
		case 1, 2:
			list := &n.inputs
			if f.num == 2 {
				list = &n.outputs
			}
			if len(*list) >= maxNodeIO {
				return fmt.Errorf("%w: more than %d node inputs or outputs", errMalformed, maxNodeIO)
			}
			var s string
			if s, err = f.str(); err != nil {
				return err
			}
			*list = append(*list, s)
		case 3:
			n.name, err = f.str()
		case 4:
			n.op, err = f.str()
		case 7:
			n.domain, err = f.str()
		case 5:
			if len(n.attrs) >= maxAttrs {
				return fmt.Errorf("%w: more than %d attributes", errMalformed, maxAttrs)
			}
			var raw []byte
			if raw, err = f.bytes(); err != nil {
				return err
			}
			var a attrProto
			if a, err = decodeAttr(raw); err != nil {
				return fmt.Errorf("attribute %d: %w", len(n.attrs), err)
			}
			n.attrs = append(n.attrs, a)
		}
		return err
	})
	return n, err
}

// ONNX AttributeProto.AttributeType values.
const (
	attrUndefined = 0
	attrFloat     = 1
	attrInt       = 2
	attrString    = 3
	attrTensor    = 4
	attrGraph     = 5
	attrFloats    = 6
	attrInts      = 7
	attrStrings   = 8
	attrTensors   = 9
	attrGraphs    = 10
	attrSparse    = 11
	attrSparses   = 12
	attrTypeProto = 13
	attrTypeProts = 14
)

var attrTypeNames = map[int64]string{
	attrFloat: "FLOAT", attrInt: "INT", attrString: "STRING", attrTensor: "TENSOR",
	attrGraph: "GRAPH", attrFloats: "FLOATS", attrInts: "INTS", attrStrings: "STRINGS",
	attrTensors: "TENSORS", attrGraphs: "GRAPHS", attrSparse: "SPARSE_TENSOR",
	attrSparses: "SPARSE_TENSORS", attrTypeProto: "TYPE_PROTO", attrTypeProts: "TYPE_PROTOS",
}

func attrTypeName(t int64) string {
	if s, ok := attrTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("type %d", t)
}

type attrProto struct {
	name    string
	typ     int64 // declared type, attrUndefined if absent (IR version 1)
	seen    int64 // type implied by the last value field present
	refAttr bool
	f       float32
	i       int64
	s       string
	t       *tensorProto
	floats  []float32
	ints    []int64
	strings []string
}

func decodeAttr(b []byte) (attrProto, error) {
	var a attrProto
	// A cap on the elements of ints/floats/strings: generous for any real
	// attribute, and keeps a crafted one from ballooning.
	const maxList = 1 << 20
	err := forEachField(b, func(f field) error {
		var err error
		switch f.num {
		case 1:
			a.name, err = f.str()
		case 20:
			a.typ, err = f.int64()
		case 21:
			a.refAttr = true
		case 2:
			a.f, err = f.float32()
			a.seen = attrFloat
		case 3:
			a.i, err = f.int64()
			a.seen = attrInt
		case 4:
			a.s, err = f.str()
			a.seen = attrString
		case 5:
			var raw []byte
			if raw, err = f.bytes(); err != nil {
				return err
			}
			var t tensorProto
			if t, err = decodeTensor(raw); err != nil {
				return fmt.Errorf("tensor: %w", err)
			}
			a.t = &t
			a.seen = attrTensor
		case 6:
			a.seen = attrGraph
		case 7:
			a.floats, err = appendFixed32s(a.floats, f, maxList)
			a.seen = attrFloats
		case 8:
			a.ints, err = appendVarints(a.ints, f, maxList)
			a.seen = attrInts
		case 9:
			if len(a.strings) >= maxList {
				return fmt.Errorf("%w: too many strings", errMalformed)
			}
			var s string
			if s, err = f.str(); err != nil {
				return err
			}
			a.strings = append(a.strings, s)
			a.seen = attrStrings
		case 10:
			a.seen = attrTensors
		case 11:
			a.seen = attrGraphs
		case 22:
			a.seen = attrSparse
		case 23:
			a.seen = attrSparses
		case 14:
			a.seen = attrTypeProto
		case 15:
			a.seen = attrTypeProts
		}
		return err
	})
	return a, err
}

// ONNX TensorProto.DataType values.
const (
	dtUndefined = 0
	dtFloat     = 1
	dtUint8     = 2
	dtInt8      = 3
	dtUint16    = 4
	dtInt16     = 5
	dtInt32     = 6
	dtInt64     = 7
	dtString    = 8
	dtBool      = 9
	dtFloat16   = 10
	dtDouble    = 11
	dtUint32    = 12
	dtUint64    = 13
	dtComplex64 = 14
	dtComplex28 = 15
	dtBfloat16  = 16
)

var dataTypeNames = map[int64]string{
	dtUndefined: "UNDEFINED", dtFloat: "FLOAT", dtUint8: "UINT8", dtInt8: "INT8",
	dtUint16: "UINT16", dtInt16: "INT16", dtInt32: "INT32", dtInt64: "INT64",
	dtString: "STRING", dtBool: "BOOL", dtFloat16: "FLOAT16", dtDouble: "DOUBLE",
	dtUint32: "UINT32", dtUint64: "UINT64", dtComplex64: "COMPLEX64",
	dtComplex28: "COMPLEX128", dtBfloat16: "BFLOAT16",
}

func dataTypeName(t int64) string {
	if s, ok := dataTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("data type %d", t)
}

// tensorProto is TensorProto. The typed repeated fields are decoded (they
// are small in practice: exporters put bulk data in raw_data); raw_data
// aliases the input.
type tensorProto struct {
	name       string
	dims       []int64
	dataType   int64
	raw        []byte
	hasRaw     bool
	floatData  []float32
	int32Data  []int64 // int32_data, as decoded varints (sign handled on use)
	int64Data  []int64
	doubleData []float64
	otherData  string // name of a data field we do not decode (string_data, uint64_data)
	external   bool
	segment    bool
}

func decodeTensor(b []byte) (tensorProto, error) {
	var t tensorProto
	// Typed data fields cannot hold more elements than they have bytes, so
	// capping at len(b) is no restriction, only a guard.
	max := len(b)
	if max > maxElements {
		max = maxElements
	}
	err := forEachField(b, func(f field) error {
		var err error
		switch f.num {
		case 1:
			t.dims, err = appendVarints(t.dims, f, maxRank)
		case 2:
			t.dataType, err = f.int64()
		case 3:
			t.segment = true
		case 4:
			t.floatData, err = appendFixed32s(t.floatData, f, max)
		case 5:
			t.int32Data, err = appendVarints(t.int32Data, f, max)
		case 6:
			t.otherData = "string_data"
		case 7:
			t.int64Data, err = appendVarints(t.int64Data, f, max)
		case 8:
			t.name, err = f.str()
		case 9:
			t.raw, err = f.bytes()
			t.hasRaw = true
		case 10:
			t.doubleData, err = appendFixed64s(t.doubleData, f, max)
		case 11:
			t.otherData = "uint64_data"
		case 13:
			t.external = true
		case 14:
			var loc int64
			loc, err = f.int64()
			if loc != 0 {
				t.external = true
			}
		}
		return err
	})
	return t, err
}

// valueInfo is ValueInfoProto restricted to tensor types.
type valueInfo struct {
	name      string
	elemType  int64
	hasShape  bool
	dims      []dimProto
	nonTensor bool // the type is a sequence, map, optional or sparse tensor
}

type dimProto struct {
	value    int64
	param    string
	hasValue bool
}

func decodeValueInfo(b []byte) (valueInfo, error) {
	var v valueInfo
	err := forEachField(b, func(f field) error {
		var err error
		switch f.num {
		case 1:
			v.name, err = f.str()
		case 2:
			var raw []byte
			if raw, err = f.bytes(); err != nil {
				return err
			}
			err = decodeTypeProto(raw, &v)
		}
		return err
	})
	return v, err
}

func decodeTypeProto(b []byte, v *valueInfo) error {
	return forEachField(b, func(f field) error {
		switch f.num {
		case 1: // tensor_type
			raw, err := f.bytes()
			if err != nil {
				return err
			}
			return forEachField(raw, func(f field) error {
				var err error
				switch f.num {
				case 1:
					v.elemType, err = f.int64()
				case 2:
					var raw []byte
					if raw, err = f.bytes(); err != nil {
						return err
					}
					v.hasShape = true
					err = decodeShape(raw, v)
				}
				return err
			})
		case 4, 5, 8, 9: // sequence, map, sparse tensor, optional
			v.nonTensor = true
		}
		return nil
	})
}

func decodeShape(b []byte, v *valueInfo) error {
	return forEachField(b, func(f field) error {
		if f.num != 1 {
			return nil
		}
		raw, err := f.bytes()
		if err != nil {
			return err
		}
		if len(v.dims) >= maxRank {
			return fmt.Errorf("%w: rank above %d", errMalformed, maxRank)
		}
		var d dimProto
		err = forEachField(raw, func(f field) error {
			var err error
			switch f.num {
			case 1:
				d.value, err = f.int64()
				d.hasValue, d.param = true, ""
			case 2:
				d.param, err = f.str()
				d.hasValue, d.value = false, 0
			}
			return err
		})
		if err != nil {
			return err
		}
		v.dims = append(v.dims, d)
		return nil
	})
}
