package onnx

import (
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/facegate/facegate/weights"
)

// Options adjust the metadata of an imported model. Zero fields leave the
// importer's own values (from the known-model table, or empty) in place.
type Options struct {
	Name       string    // Meta.Name; default: file base name without extension
	ColorOrder string    // "RGB" or "BGR"
	Mean, Std  []float32 // per channel, for input values in 0..255; same length
	Role       string    // Meta.Extra["role"]: "detector", "liveness", "embedder", ...
}

// MinOpset and MaxOpset bound the default-domain opset versions the importer
// understands. Below 7, element-wise operators used the legacy broadcast
// attributes; above MaxOpset, operators may have changed in ways this code
// has not been checked against.
const (
	MinOpset = 7
	MaxOpset = 21
)

// maxFileSize bounds ImportFile: protobuf messages cannot exceed 2 GiB.
const maxFileSize = 2 << 30

// ImportFile reads and imports the ONNX model at path. Meta.SourceFile is the
// file's base name and Meta.Name defaults to it without its extension.
func ImportFile(path string, opt Options) (*weights.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("onnx: %s: %d bytes, above the 2 GiB protobuf limit", path, st.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	base := filepath.Base(path)
	if opt.Name == "" {
		opt.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	m, err := Import(data, opt)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, base)
	}
	m.Meta.SourceFile = base
	return m, nil
}

// Import converts a serialized ONNX ModelProto into a weights.Model. See the
// package documentation for what is normalised on the way. Every error names
// the node, tensor or value at fault; malformed input is an error, never a
// panic.
func Import(data []byte, opt Options) (*weights.Model, error) {
	m, err := importModel(data)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	sum := sha256.Sum256(data)
	m.Meta.SourceSHA256 = hex.EncodeToString(sum[:])
	if err := applyMetadata(m, opt); err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return m, nil
}

func importModel(data []byte) (*weights.Model, error) {
	if len(data) == 0 {
		return nil, errors.New("empty input")
	}
	mp, err := decodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if !mp.hasGraph {
		return nil, errors.New("model has no graph (is this an ONNX file?)")
	}
	opset := int64(-1)
	for _, o := range mp.opsets {
		if o.domain == "" || o.domain == "ai.onnx" {
			if opset >= 0 && o.version != opset {
				return nil, fmt.Errorf("conflicting default-domain opset imports %d and %d", opset, o.version)
			}
			opset = o.version
		}
	}
	switch {
	case opset < 0:
		return nil, errors.New("model imports no default-domain (ai.onnx) opset")
	case opset < MinOpset || opset > MaxOpset:
		return nil, fmt.Errorf("opset %d is not supported (supported: %d..%d)", opset, MinOpset, MaxOpset)
	}
	if mp.hasFunctions {
		return nil, errors.New("model-local functions are not supported")
	}
	gp, err := decodeGraph(mp.graph)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	if gp.hasSparse {
		return nil, errors.New("sparse initializers are not supported")
	}
	c := &converter{opset: opset, tensors: map[string]*weights.Tensor{}, names: map[string]bool{}}
	g, err := c.convertGraph(gp)
	if err != nil {
		return nil, err
	}
	meta := weights.Metadata{
		Producer: strings.TrimSpace(mp.producerName + " " + mp.producerVersion),
		Extra: map[string]string{
			"opset":      strconv.FormatInt(opset, 10),
			"ir_version": strconv.FormatInt(mp.irVersion, 10),
		},
	}
	if gp.name != "" {
		meta.Extra["graph_name"] = gp.name
	}
	for _, p := range mp.props {
		if len(p.key) <= maxString-len("onnx.") {
			meta.Extra["onnx."+p.key] = p.value
		}
	}
	return &weights.Model{Meta: meta, Graph: *g}, nil
}

// converter carries the state of one graph conversion.
type converter struct {
	opset   int64
	tensors map[string]*weights.Tensor // constants by name
	order   []string                   // tensor names in creation order
	names   map[string]bool            // every value name defined so far
}

func (c *converter) addTensor(t *weights.Tensor) error {
	if c.names[t.Name] {
		return fmt.Errorf("value %q is defined more than once", t.Name)
	}
	c.names[t.Name] = true
	c.tensors[t.Name] = t
	c.order = append(c.order, t.Name)
	return nil
}

// freshName returns a value name derived from base that is not yet used.
func (c *converter) freshName(base string) string {
	name := base
	for i := 1; c.names[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}

// constInput returns the constant tensor feeding input i of n, or nil if the
// input is absent, empty, or not a constant.
func (c *converter) constInput(n *weights.Node, i int) *weights.Tensor {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil
	}
	return c.tensors[n.Inputs[i]]
}

func (c *converter) convertGraph(gp *graphProto) (*weights.Graph, error) {
	// Check operators first, so that a model we cannot run is reported by
	// its first unsupported node rather than by some exotic initializer
	// type that belongs to that operator (int8 weights of ConvInteger...).
	for i := range gp.nodes {
		n := &gp.nodes[i]
		if n.domain != "" && n.domain != "ai.onnx" {
			return nil, fmt.Errorf("node %q: operator %s from domain %q is not supported", nodeName(n, i), n.op, n.domain)
		}
		if _, ok := opTable[n.op]; !ok {
			return nil, fmt.Errorf("node %q: unsupported operator %s", nodeName(n, i), n.op)
		}
	}
	for i := range gp.initializers {
		t := &gp.initializers[i]
		if t.name == "" {
			return nil, fmt.Errorf("initializer %d has no name", i)
		}
		wt, err := convertTensor(t, t.name)
		if err != nil {
			return nil, fmt.Errorf("initializer: %w", err)
		}
		if err := c.addTensor(wt); err != nil {
			return nil, fmt.Errorf("initializer: %w", err)
		}
	}
	g := &weights.Graph{}
	// Graph inputs that have an initializer are constants with a default
	// value, not values the caller supplies.
	for i := range gp.inputs {
		v := &gp.inputs[i]
		if _, ok := c.tensors[v.name]; ok {
			continue
		}
		vi, err := convertValueInfo(v)
		if err != nil {
			return nil, fmt.Errorf("graph input %d: %w", i, err)
		}
		if c.names[vi.Name] {
			return nil, fmt.Errorf("graph input %q is defined more than once", vi.Name)
		}
		c.names[vi.Name] = true
		g.Inputs = append(g.Inputs, vi)
	}
	var nodes []weights.Node
	usedNames := map[string]bool{}
	for i := range gp.nodes {
		n := &gp.nodes[i]
		name := nodeName(n, i)
		if n.op == "Constant" {
			if err := c.convertConstant(n, name); err != nil {
				return nil, fmt.Errorf("node %q: %w", name, err)
			}
			continue
		}
		if usedNames[name] {
			name = c.freshNodeName(name, usedNames)
		}
		usedNames[name] = true
		wn, err := c.convertNode(n, name)
		if err != nil {
			return nil, fmt.Errorf("node %q: %w", name, err)
		}
		nodes = append(nodes, wn)
	}
	for i := range nodes {
		for _, o := range nodes[i].Outputs {
			if o == "" {
				continue
			}
			if c.names[o] {
				return nil, fmt.Errorf("node %q: output %q is defined more than once", nodes[i].Name, o)
			}
			c.names[o] = true
		}
	}
	consumed := map[string]bool{}
	for i := range gp.outputs {
		vi, err := convertValueInfo(&gp.outputs[i])
		if err != nil {
			return nil, fmt.Errorf("graph output %d: %w", i, err)
		}
		if !c.names[vi.Name] {
			return nil, fmt.Errorf("graph output %q is not produced by any node, input or initializer", vi.Name)
		}
		if consumed[vi.Name] {
			return nil, fmt.Errorf("graph output %q is listed twice", vi.Name)
		}
		consumed[vi.Name] = true
		g.Outputs = append(g.Outputs, vi)
	}
	if len(g.Outputs) == 0 {
		return nil, errors.New("graph has no outputs")
	}
	for i := range nodes {
		for _, in := range nodes[i].Inputs {
			consumed[in] = true
		}
	}
	// Normalise after every name is known: normalisers look up constants,
	// mint fresh names and check that training-only outputs are unused.
	for i := range nodes {
		if err := c.normalise(&nodes[i], consumed); err != nil {
			return nil, fmt.Errorf("node %q: %w", nodes[i].Name, err)
		}
	}
	sorted, err := topoSort(nodes, c.tensors, g.Inputs)
	if err != nil {
		return nil, err
	}
	g.Nodes = sorted
	// Names minted here (node names, tensors from attributes) may have
	// grown past what the weights format stores.
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if len(n.Name) > maxString {
			return nil, fmt.Errorf("node name of %d bytes, limit %d", len(n.Name), maxString)
		}
		for _, in := range n.Inputs {
			if len(in) > maxString {
				return nil, fmt.Errorf("node %.40q: input name of %d bytes, limit %d", n.Name, len(in), maxString)
			}
		}
	}
	// Keep the constants something refers to, in their original order:
	// initializers that fed only a normalised-away input (Unsqueeze axes,
	// Clip bounds, empty Resize scales) or nothing at all are dropped.
	used := map[string]bool{}
	for i := range g.Nodes {
		for _, in := range g.Nodes[i].Inputs {
			used[in] = true
		}
	}
	for _, o := range g.Outputs {
		used[o.Name] = true
	}
	for _, name := range c.order {
		if used[name] {
			g.Tensors = append(g.Tensors, *c.tensors[name])
		}
	}
	return g, nil
}

// nodeName is the node's name, or "<op>_<index>" for an anonymous node.
func nodeName(n *nodeProto, i int) string {
	if n.name != "" {
		return n.name
	}
	return fmt.Sprintf("%s_%d", n.op, i)
}

func (c *converter) freshNodeName(base string, used map[string]bool) string {
	name := base
	for i := 1; used[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}

func convertValueInfo(v *valueInfo) (weights.ValueInfo, error) {
	vi := weights.ValueInfo{Name: v.name}
	if v.name == "" {
		return vi, errors.New("value has no name")
	}
	if v.nonTensor {
		return vi, fmt.Errorf("value %q is not a tensor", v.name)
	}
	switch v.elemType {
	case dtFloat, dtUndefined:
	case dtInt64:
	default:
		return vi, fmt.Errorf("value %q has element type %s; only float32 (and int64) values are supported",
			v.name, dataTypeName(v.elemType))
	}
	if !v.hasShape {
		return vi, nil // rank unknown
	}
	vi.Shape = make([]weights.Dim, len(v.dims))
	for i, d := range v.dims {
		switch {
		case d.hasValue && d.value > 0:
			vi.Shape[i].Value = d.value
		case d.hasValue:
			return vi, fmt.Errorf("value %q: dimension %d is %d", v.name, i, d.value)
		case d.param != "":
			vi.Shape[i].Param = d.param
		default:
			// Neither value nor name: an unknown size.
			vi.Shape[i].Param = "?"
		}
	}
	return vi, nil
}

// convertConstant turns a Constant node into a tensor named after its output.
func (c *converter) convertConstant(n *nodeProto, name string) error {
	if len(n.inputs) != 0 || len(n.outputs) != 1 || n.outputs[0] == "" {
		return fmt.Errorf("operator Constant must have no inputs and one output")
	}
	if len(n.attrs) != 1 {
		return fmt.Errorf("operator Constant must have exactly one attribute, has %d", len(n.attrs))
	}
	out := n.outputs[0]
	a := &n.attrs[0]
	typ, err := attrType(a)
	if err != nil {
		return err
	}
	var t *weights.Tensor
	switch {
	case a.name == "value" && typ == attrTensor:
		if t, err = convertTensor(a.t, out); err != nil {
			return err
		}
	case a.name == "value_float" && typ == attrFloat:
		t = &weights.Tensor{Name: out, DType: weights.Float32, Float: []float32{a.f}}
	case a.name == "value_floats" && typ == attrFloats:
		t = &weights.Tensor{Name: out, DType: weights.Float32, Shape: []int64{int64(len(a.floats))},
			Float: append([]float32{}, a.floats...)}
	case a.name == "value_int" && typ == attrInt:
		t = &weights.Tensor{Name: out, DType: weights.Int64, Int: []int64{a.i}}
	case a.name == "value_ints" && typ == attrInts:
		t = &weights.Tensor{Name: out, DType: weights.Int64, Shape: []int64{int64(len(a.ints))},
			Int: append([]int64{}, a.ints...)}
	default:
		return fmt.Errorf("operator Constant attribute %q of type %s is not supported", a.name, attrTypeName(typ))
	}
	return c.addTensor(t)
}

// attrType is the attribute's declared type, or for IR version 1 files
// (which did not declare it) the type of the value field present.
func attrType(a *attrProto) (int64, error) {
	if a.refAttr {
		return 0, fmt.Errorf("attribute %q refers to a function attribute", a.name)
	}
	switch {
	case a.typ != attrUndefined:
		return a.typ, nil
	case a.seen != attrUndefined:
		return a.seen, nil
	}
	return 0, fmt.Errorf("attribute %q has no type and no value", a.name)
}

func (c *converter) convertNode(n *nodeProto, name string) (weights.Node, error) {
	wn := weights.Node{Name: name, Op: n.op}
	if len(n.outputs) == 0 {
		return wn, errors.New("node has no outputs")
	}
	wn.Inputs = append([]string{}, n.inputs...)
	wn.Outputs = append([]string{}, n.outputs...)
	seen := map[string]bool{}
	for i := range n.attrs {
		a := &n.attrs[i]
		if a.name == "" {
			return wn, fmt.Errorf("attribute %d has no name", i)
		}
		if seen[a.name] {
			return wn, fmt.Errorf("attribute %q appears twice", a.name)
		}
		seen[a.name] = true
		typ, err := attrType(a)
		if err != nil {
			return wn, err
		}
		wa := weights.Attr{Name: a.name}
		switch typ {
		case attrFloat:
			wa.Kind, wa.Float = weights.AttrFloat, a.f
		case attrInt:
			wa.Kind, wa.Int = weights.AttrInt, a.i
		case attrString:
			wa.Kind, wa.String = weights.AttrString, a.s
		case attrFloats:
			wa.Kind, wa.Floats = weights.AttrFloats, append([]float32{}, a.floats...)
		case attrInts:
			wa.Kind, wa.Ints = weights.AttrInts, append([]int64{}, a.ints...)
		case attrStrings:
			wa.Kind, wa.Strings = weights.AttrStrings, append([]string{}, a.strings...)
		case attrTensor:
			if a.t == nil {
				return wn, fmt.Errorf("attribute %q: TENSOR without a tensor", a.name)
			}
			t, err := convertTensor(a.t, a.t.name)
			if err != nil {
				return wn, fmt.Errorf("attribute %q: %w", a.name, err)
			}
			wa.Kind, wa.Tensor = weights.AttrTensor, t
		default:
			return wn, fmt.Errorf("attribute %q of type %s is not supported", a.name, attrTypeName(typ))
		}
		wn.Attrs = append(wn.Attrs, wa)
	}
	// Trailing omitted outputs carry no information.
	for len(wn.Outputs) > 0 && wn.Outputs[len(wn.Outputs)-1] == "" {
		wn.Outputs = wn.Outputs[:len(wn.Outputs)-1]
	}
	if len(wn.Outputs) == 0 {
		return wn, errors.New("node has no outputs")
	}
	return wn, nil
}

// topoSort orders nodes so that every input is defined before use, keeping
// the original order where it already is valid (it always is for a valid
// ONNX file). It rejects references to undefined values and cycles.
func topoSort(nodes []weights.Node, tensors map[string]*weights.Tensor, inputs []weights.ValueInfo) ([]weights.Node, error) {
	producer := map[string]int{}
	for i := range nodes {
		for _, o := range nodes[i].Outputs {
			if o != "" {
				producer[o] = i
			}
		}
	}
	defined := map[string]bool{}
	for _, in := range inputs {
		defined[in.Name] = true
	}
	pending := make([]int, len(nodes)) // unmet producer dependencies
	users := make([][]int, len(nodes)) // nodes that consume node i's outputs
	for i := range nodes {
		deps := map[int]bool{}
		for _, in := range nodes[i].Inputs {
			if in == "" || defined[in] || tensors[in] != nil {
				continue
			}
			p, ok := producer[in]
			if !ok {
				return nil, fmt.Errorf("node %q: input %q is not produced by any node, input or initializer", nodes[i].Name, in)
			}
			if !deps[p] {
				deps[p] = true
				pending[i]++
				users[p] = append(users[p], i)
			}
		}
	}
	ready := &intHeap{}
	for i := range nodes {
		if pending[i] == 0 {
			heap.Push(ready, i)
		}
	}
	out := make([]weights.Node, 0, len(nodes))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, nodes[i])
		for _, u := range users[i] {
			if pending[u]--; pending[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(out) != len(nodes) {
		var stuck []string
		for i := range nodes {
			if pending[i] > 0 {
				stuck = append(stuck, strconv.Quote(nodes[i].Name))
			}
		}
		sort.Strings(stuck)
		if len(stuck) > 5 {
			stuck = append(stuck[:5], "...")
		}
		return nil, fmt.Errorf("graph has a cycle through nodes %s", strings.Join(stuck, ", "))
	}
	return out, nil
}

// intHeap is a min-heap of node indices: among ready nodes, the earliest in
// the file goes first, so a valid order is kept unchanged.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
