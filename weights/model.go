// Package weights defines facegate's model file format (see FORMAT.md): an
// in-memory description of a network (graph, metadata, tensors), a writer, a
// validating loader, and (in weights/onnx) an importer from ONNX.
//
// The package knows nothing of execution; engine.Load turns a Model into
// something that runs.
package weights

// DType is the element type of a stored tensor. Activations are always
// float32; int64 appears only in shape tensors (Reshape targets, Gather
// indices, constants of shape sub-graphs).
type DType uint8

const (
	Float32 DType = 1
	Int64   DType = 2
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int64:
		return "int64"
	}
	return "invalid"
}

// Dim is one dimension of a graph input or output: a fixed size (Value > 0)
// or a symbolic one (Param, e.g. "N", "H"), bound when a session is planned.
type Dim struct {
	Value int64  `json:"value,omitempty"`
	Param string `json:"param,omitempty"`
}

// ValueInfo names a graph input or output and its (possibly symbolic) shape.
type ValueInfo struct {
	Name  string `json:"name"`
	Shape []Dim  `json:"shape"`
}

// Tensor is a named constant: an initializer or a Constant node's value.
// Exactly one of Float and Int is set, matching DType. Shape may be empty
// for a scalar. Data may alias the bytes of a loaded file; treat it as
// read-only.
type Tensor struct {
	Name  string
	DType DType
	Shape []int64
	Float []float32
	Int   []int64
}

// Len is the number of elements the shape describes.
func (t *Tensor) Len() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// AttrKind says which field of an Attr holds its value.
type AttrKind uint8

const (
	AttrInt     AttrKind = 1
	AttrFloat   AttrKind = 2
	AttrString  AttrKind = 3
	AttrInts    AttrKind = 4
	AttrFloats  AttrKind = 5
	AttrTensor  AttrKind = 6
	AttrStrings AttrKind = 7
)

// Attr is one operator attribute, with ONNX semantics.
type Attr struct {
	Name    string
	Kind    AttrKind
	Int     int64
	Float   float32
	String  string
	Ints    []int64
	Floats  []float32
	Strings []string
	Tensor  *Tensor
}

// Node is one operator application. Op uses ONNX operator names ("Conv",
// "Relu", ...); facegate's own fused operators are prefixed "fg." and are
// documented in FORMAT.md. An empty input name means an omitted optional
// input, as in ONNX.
type Node struct {
	Name    string
	Op      string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Attr returns the attribute called name, or nil.
func (n *Node) Attr(name string) *Attr {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i]
		}
	}
	return nil
}

// Graph is a network: its inputs and outputs, its constant tensors and its
// nodes in topological order.
type Graph struct {
	Inputs  []ValueInfo
	Outputs []ValueInfo
	Tensors []Tensor
	Nodes   []Node
}

// Metadata describes where a model came from and how its input is prepared.
// Fields that are unknown are left empty; the pipeline falls back to its own
// defaults for the networks it knows.
type Metadata struct {
	Name         string            `json:"name"`                    // short name, e.g. "mobilefacenet128_paddle"
	SourceFile   string            `json:"source_file,omitempty"`   // base name of the file converted
	SourceSHA256 string            `json:"source_sha256,omitempty"` // hex sha256 of that file
	Producer     string            `json:"producer,omitempty"`      // e.g. "pytorch 1.13"
	ColorOrder   string            `json:"color_order,omitempty"`   // "RGB" or "BGR" for image inputs
	Mean         []float32         `json:"mean,omitempty"`          // per channel: x' = (x - Mean) / Std, x in 0..255
	Std          []float32         `json:"std,omitempty"`
	Extra        map[string]string `json:"extra,omitempty"` // free-form key/value pairs
}

// Model is a complete converted network.
type Model struct {
	Meta  Metadata
	Graph Graph
}
