package weights

import "fmt"

// validate checks the rules of FORMAT.md that do not depend on the byte
// layout: names, topological order, shapes, data lengths, attribute kinds
// and limits. Write runs it so that it never stores a file Read would
// refuse; Read runs it on every decoded model. Errors wrap ErrInvalid.
func validate(m *Model) error {
	if m == nil {
		return fmt.Errorf("nil model: %w", ErrInvalid)
	}
	if err := validateMeta(&m.Meta); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	g := &m.Graph
	switch {
	case len(g.Inputs) > maxValueInfos:
		return fmt.Errorf("%d graph inputs, limit %d: %w", len(g.Inputs), maxValueInfos, ErrInvalid)
	case len(g.Outputs) > maxValueInfos:
		return fmt.Errorf("%d graph outputs, limit %d: %w", len(g.Outputs), maxValueInfos, ErrInvalid)
	case len(g.Tensors) > maxTensors:
		return fmt.Errorf("%d tensors, limit %d: %w", len(g.Tensors), maxTensors, ErrInvalid)
	case len(g.Nodes) > maxNodes:
		return fmt.Errorf("%d nodes, limit %d: %w", len(g.Nodes), maxNodes, ErrInvalid)
	}

	// Graph inputs, tensors and node outputs share one namespace; a value is
	// usable only after the point that defines it.
	defined := make(map[string]struct{}, len(g.Inputs)+len(g.Tensors)+len(g.Nodes))
	define := func(name string) error {
		if name == "" {
			return fmt.Errorf("empty name: %w", ErrInvalid)
		}
		if len(name) > maxString {
			return fmt.Errorf("name of %d bytes, limit %d: %w", len(name), maxString, ErrInvalid)
		}
		if _, dup := defined[name]; dup {
			return fmt.Errorf("%q defined twice: %w", name, ErrInvalid)
		}
		defined[name] = struct{}{}
		return nil
	}

	for i := range g.Inputs {
		vi := &g.Inputs[i]
		if err := validateValueInfo(vi); err != nil {
			return fmt.Errorf("graph input %d %q: %w", i, vi.Name, err)
		}
		if err := define(vi.Name); err != nil {
			return fmt.Errorf("graph input %d: %w", i, err)
		}
	}
	for i := range g.Tensors {
		t := &g.Tensors[i]
		if err := validateTensor(t); err != nil {
			return fmt.Errorf("tensor %d %q: %w", i, t.Name, err)
		}
		if err := define(t.Name); err != nil {
			return fmt.Errorf("tensor %d: %w", i, err)
		}
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if err := validateNode(n, defined); err != nil {
			return fmt.Errorf("node %d %q (%s): %w", i, n.Name, n.Op, err)
		}
		for _, out := range n.Outputs {
			if out == "" {
				continue // an omitted optional output
			}
			if err := define(out); err != nil {
				return fmt.Errorf("node %d %q (%s): output: %w", i, n.Name, n.Op, err)
			}
		}
	}

	seen := make(map[string]struct{}, len(g.Outputs))
	for i := range g.Outputs {
		vi := &g.Outputs[i]
		if err := validateValueInfo(vi); err != nil {
			return fmt.Errorf("graph output %d %q: %w", i, vi.Name, err)
		}
		if _, ok := defined[vi.Name]; !ok {
			return fmt.Errorf("graph output %d %q is not defined: %w", i, vi.Name, ErrInvalid)
		}
		if _, dup := seen[vi.Name]; dup {
			return fmt.Errorf("graph output %q listed twice: %w", vi.Name, ErrInvalid)
		}
		seen[vi.Name] = struct{}{}
	}
	return nil
}

func validateMeta(md *Metadata) error {
	for _, s := range []string{md.Name, md.SourceFile, md.SourceSHA256, md.Producer, md.ColorOrder} {
		if len(s) > maxString {
			return fmt.Errorf("string of %d bytes, limit %d: %w", len(s), maxString, ErrInvalid)
		}
	}
	if len(md.Mean) > maxMetaFloats || len(md.Std) > maxMetaFloats {
		return fmt.Errorf("mean/std of %d/%d values, limit %d: %w", len(md.Mean), len(md.Std), maxMetaFloats, ErrInvalid)
	}
	if len(md.Extra) > maxMetaExtra {
		return fmt.Errorf("%d extra entries, limit %d: %w", len(md.Extra), maxMetaExtra, ErrInvalid)
	}
	for k, v := range md.Extra {
		if len(k) > maxString || len(v) > maxString {
			return fmt.Errorf("extra %.40q: key or value longer than %d bytes: %w", k, maxString, ErrInvalid)
		}
	}
	return nil
}

func validateValueInfo(vi *ValueInfo) error {
	if vi.Name == "" {
		return fmt.Errorf("empty name: %w", ErrInvalid)
	}
	if len(vi.Name) > maxString {
		return fmt.Errorf("name of %d bytes, limit %d: %w", len(vi.Name), maxString, ErrInvalid)
	}
	if len(vi.Shape) > maxRank {
		return fmt.Errorf("rank %d, limit %d: %w", len(vi.Shape), maxRank, ErrInvalid)
	}
	for j, d := range vi.Shape {
		switch {
		case d.Value < 0 || d.Value > maxElements:
			return fmt.Errorf("dim %d: size %d out of range [0, %d]: %w", j, d.Value, maxElements, ErrInvalid)
		case d.Value > 0 && d.Param != "":
			return fmt.Errorf("dim %d: both size %d and parameter %q: %w", j, d.Value, d.Param, ErrInvalid)
		case len(d.Param) > maxString:
			return fmt.Errorf("dim %d: parameter of %d bytes, limit %d: %w", j, len(d.Param), maxString, ErrInvalid)
		}
	}
	return nil
}

// shapeElems returns the number of elements shape describes, after checking
// the rank and that every dimension is non-negative and the product of the
// non-zero ones is at most maxElements (so no product of a subset of the
// dimensions can overflow either).
func shapeElems(shape []int64) (int64, error) {
	if len(shape) > maxRank {
		return 0, fmt.Errorf("rank %d, limit %d: %w", len(shape), maxRank, ErrInvalid)
	}
	n, zero := int64(1), false
	for j, d := range shape {
		if d < 0 || d > maxElements {
			return 0, fmt.Errorf("dim %d: size %d out of range [0, %d]: %w", j, d, maxElements, ErrInvalid)
		}
		if d == 0 {
			zero = true
			continue
		}
		n *= d // both factors ≤ maxElements < 1<<31: no overflow
		if n > maxElements {
			return 0, fmt.Errorf("shape %v has more than %d elements: %w", shape, maxElements, ErrInvalid)
		}
	}
	if zero {
		return 0, nil
	}
	return n, nil
}

// validateTensor checks dtype, shape and that exactly the slice matching the
// dtype holds as many elements as the shape describes.
func validateTensor(t *Tensor) error {
	if len(t.Name) > maxString {
		return fmt.Errorf("name of %d bytes, limit %d: %w", len(t.Name), maxString, ErrInvalid)
	}
	n, err := shapeElems(t.Shape)
	if err != nil {
		return err
	}
	var have, other int
	switch t.DType {
	case Float32:
		have, other = len(t.Float), len(t.Int)
	case Int64:
		have, other = len(t.Int), len(t.Float)
	default:
		return fmt.Errorf("dtype %d: %w", t.DType, ErrInvalid)
	}
	if int64(have) != n || other != 0 {
		return fmt.Errorf("%s shape %v needs %d elements, have %d float32 and %d int64: %w",
			t.DType, t.Shape, n, len(t.Float), len(t.Int), ErrInvalid)
	}
	return nil
}

func validateNode(n *Node, defined map[string]struct{}) error {
	switch {
	case n.Op == "":
		return fmt.Errorf("empty operator: %w", ErrInvalid)
	case len(n.Op) > maxString || len(n.Name) > maxString:
		return fmt.Errorf("name or operator longer than %d bytes: %w", maxString, ErrInvalid)
	case len(n.Inputs) > maxNodeIO || len(n.Outputs) > maxNodeIO:
		return fmt.Errorf("%d inputs, %d outputs, limit %d: %w", len(n.Inputs), len(n.Outputs), maxNodeIO, ErrInvalid)
	case len(n.Attrs) > maxAttrs:
		return fmt.Errorf("%d attributes, limit %d: %w", len(n.Attrs), maxAttrs, ErrInvalid)
	}
	for _, in := range n.Inputs {
		if in == "" {
			continue // an omitted optional input
		}
		if _, ok := defined[in]; !ok {
			return fmt.Errorf("input %q is not defined before use (undefined, or the graph is cyclic or out of topological order): %w", in, ErrInvalid)
		}
	}
	for j := range n.Attrs {
		a := &n.Attrs[j]
		if a.Name == "" || len(a.Name) > maxString {
			return fmt.Errorf("attribute %d: name of %d bytes, need 1..%d: %w", j, len(a.Name), maxString, ErrInvalid)
		}
		for k := range j {
			if n.Attrs[k].Name == a.Name {
				return fmt.Errorf("attribute %q given twice: %w", a.Name, ErrInvalid)
			}
		}
		if err := validateAttr(a); err != nil {
			return fmt.Errorf("attribute %q: %w", a.Name, err)
		}
	}
	return nil
}

func validateAttr(a *Attr) error {
	switch a.Kind {
	case AttrInt, AttrFloat:
	case AttrString:
		if len(a.String) > maxString {
			return fmt.Errorf("string of %d bytes, limit %d: %w", len(a.String), maxString, ErrInvalid)
		}
	case AttrInts, AttrFloats:
		if n := max(len(a.Ints), len(a.Floats)); n > maxAttrList {
			return fmt.Errorf("list of %d elements, limit %d: %w", n, maxAttrList, ErrInvalid)
		}
	case AttrStrings:
		if len(a.Strings) > maxAttrList {
			return fmt.Errorf("list of %d elements, limit %d: %w", len(a.Strings), maxAttrList, ErrInvalid)
		}
		for _, s := range a.Strings {
			if len(s) > maxString {
				return fmt.Errorf("string of %d bytes, limit %d: %w", len(s), maxString, ErrInvalid)
			}
		}
	case AttrTensor:
		if a.Tensor == nil {
			return fmt.Errorf("tensor attribute without a tensor: %w", ErrInvalid)
		}
		if err := validateTensor(a.Tensor); err != nil {
			return fmt.Errorf("tensor %q: %w", a.Tensor.Name, err)
		}
	default:
		return fmt.Errorf("kind %d: %w", a.Kind, ErrInvalid)
	}
	return nil
}
