package weights

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"unsafe"
)

// Read decodes a model file held in data and validates all of it (FORMAT.md
// lists the rules). It never panics and allocates at most a small constant
// times len(data), whatever the bytes declare. Errors wrap ErrFormat,
// ErrVersion, ErrCorrupt or ErrInvalid.
//
// Tensor data in the returned Model aliases data where the host is
// little-endian and the bytes are suitably aligned (always, for a slice
// from os.ReadFile or a memory mapping), and is copied otherwise. data must
// therefore stay unmodified while the Model is in use, and the tensors must
// be treated as read-only.
func Read(data []byte) (*Model, error) {
	m, err := read(data)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	return m, nil
}

// preamble is the fixed 64-byte start of a file (FORMAT.md, "Preamble").
type preamble struct {
	headerOff, headerLen uint64
	dataOff, dataLen     uint64
	headerCRC, dataCRC   uint32
}

func read(data []byte) (*Model, error) {
	p, err := readPreamble(data)
	if err != nil {
		return nil, err
	}
	header := data[p.headerOff : p.headerOff+p.headerLen]
	section := data[p.dataOff:]
	if crc32.Checksum(header, castagnoli) != p.headerCRC {
		return nil, fmt.Errorf("header checksum mismatch: %w", ErrCorrupt)
	}
	if crc32.Checksum(section, castagnoli) != p.dataCRC {
		return nil, fmt.Errorf("data checksum mismatch: %w", ErrCorrupt)
	}
	return decode(header, section)
}

func readPreamble(data []byte) (preamble, error) {
	var p preamble
	if len(data) < preambleSize {
		n := min(len(data), len(magic))
		if n > 0 && string(data[:n]) == magic[:n] {
			return p, fmt.Errorf("truncated: %d bytes, the preamble alone is %d: %w", len(data), preambleSize, ErrCorrupt)
		}
		return p, fmt.Errorf("%d bytes: %w", len(data), ErrFormat)
	}
	if string(data[:len(magic)]) != magic {
		return p, ErrFormat
	}
	le := binary.LittleEndian
	if v := le.Uint32(data[8:]); v != Version {
		return p, fmt.Errorf("format version %d, this build reads version %d: %w", v, Version, ErrVersion)
	}
	if crc32.Checksum(data[:60], castagnoli) != le.Uint32(data[60:]) {
		return p, fmt.Errorf("preamble checksum mismatch: %w", ErrCorrupt)
	}
	if f := le.Uint32(data[12:]); f != 0 {
		return p, fmt.Errorf("unknown feature flags %#x: %w", f, ErrVersion)
	}
	if r := le.Uint32(data[56:]); r != 0 {
		return p, fmt.Errorf("reserved preamble field is %#x, not 0: %w", r, ErrCorrupt)
	}
	p = preamble{
		headerOff: le.Uint64(data[16:]),
		headerLen: le.Uint64(data[24:]),
		dataOff:   le.Uint64(data[32:]),
		dataLen:   le.Uint64(data[40:]),
		headerCRC: le.Uint32(data[48:]),
		dataCRC:   le.Uint32(data[52:]),
	}
	size := uint64(len(data))
	switch {
	case p.headerOff < preambleSize || p.headerOff > size || p.headerLen > size-p.headerOff:
		return p, fmt.Errorf("header [%d, +%d) outside the preamble..file end [%d, %d): %w",
			p.headerOff, p.headerLen, preambleSize, size, ErrCorrupt)
	case p.headerLen > maxHeaderBytes:
		return p, fmt.Errorf("header of %d bytes, limit %d: %w", p.headerLen, maxHeaderBytes, ErrCorrupt)
	case p.dataOff%align != 0:
		return p, fmt.Errorf("data section offset %d is not a multiple of %d: %w", p.dataOff, align, ErrCorrupt)
	case p.dataOff < p.headerOff+p.headerLen || p.dataOff > size:
		return p, fmt.Errorf("data section offset %d overlaps the header or lies past the end (%d bytes): %w",
			p.dataOff, size, ErrCorrupt)
	case p.dataLen != size-p.dataOff:
		return p, fmt.Errorf("data section of %d bytes at %d, but the file has %d bytes (truncated or extended): %w",
			p.dataLen, p.dataOff, size, ErrCorrupt)
	}
	return p, nil
}

// span is where a decoded tensor's data lies in the data section.
type span struct {
	t         *Tensor
	off, size uint64
}

// decode parses the header section and attaches the tensors' data from the
// data section. The checksums have been verified by then, so errors here
// mean a faulty writer (or a fuzzer) rather than a damaged disk.
func decode(header, section []byte) (*Model, error) {
	d := decoder{b: header}
	m := d.model()
	if d.err != nil {
		return nil, d.err
	}
	if d.off != len(d.b) {
		return nil, fmt.Errorf("header: %d unused bytes after the last node: %w", len(d.b)-d.off, ErrCorrupt)
	}
	if err := attach(d.spans, section); err != nil {
		return nil, err
	}
	if err := validate(m); err != nil {
		return nil, err
	}
	return m, nil
}

// attach checks that every tensor's data lies inside the data section,
// 64-byte aligned and disjoint from every other tensor's, then points the
// tensors at it.
func attach(spans []span, section []byte) error {
	size := uint64(len(section))
	for _, s := range spans {
		if s.off%align != 0 {
			return fmt.Errorf("tensor %q: data offset %d is not a multiple of %d: %w", s.t.Name, s.off, align, ErrCorrupt)
		}
		if s.off > size || s.size > size-s.off {
			return fmt.Errorf("tensor %q: data [%d, +%d) outside the %d-byte data section: %w", s.t.Name, s.off, s.size, size, ErrCorrupt)
		}
	}
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	var end uint64
	var prev *Tensor
	for _, s := range sorted {
		if s.size == 0 {
			continue
		}
		if s.off < end {
			return fmt.Errorf("tensor %q: data at %d overlaps tensor %q ending at %d: %w", s.t.Name, s.off, prev.Name, end, ErrCorrupt)
		}
		end, prev = s.off+s.size, s.t
	}
	for _, s := range spans {
		b := section[s.off : s.off+s.size : s.off+s.size]
		switch s.t.DType {
		case Float32:
			s.t.Float = floats(b)
		case Int64:
			s.t.Int = ints(b)
		}
	}
	return nil
}

// floats views little-endian bytes as float32s, in place when the host
// allows it.
func floats(b []byte) []float32 {
	n := len(b) / 4
	if n == 0 {
		return []float32{}
	}
	if littleEndian && uintptr(unsafe.Pointer(&b[0]))%unsafe.Alignof(float32(0)) == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// ints views little-endian bytes as int64s, in place when the host allows
// it.
func ints(b []byte) []int64 {
	n := len(b) / 8
	if n == 0 {
		return []int64{}
	}
	if littleEndian && uintptr(unsafe.Pointer(&b[0]))%8 == 0 {
		return unsafe.Slice((*int64)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

// decoder reads the header section. The first error sticks: later reads
// return zero values and counts of zero, so loops end quickly, and the
// caller checks err once per record for context.
type decoder struct {
	b     []byte
	off   int
	err   error
	spans []span
}

// Minimum encoded sizes, used to refuse counts the remaining bytes cannot
// possibly hold before allocating anything for them.
const (
	minStr       = 4
	minDim       = 8 + minStr
	minValueInfo = minStr + 1
	minTensor    = minStr + 1 + 1 + 8 + 8
	minAttr      = minStr + 1 + 4
	minNode      = 2*minStr + 3*4
)

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("header byte %d: %s: %w", d.off, fmt.Sprintf(format, args...), ErrCorrupt)
	}
}

// need reports whether n more bytes are available, failing otherwise.
func (d *decoder) need(n uint64) bool {
	if d.err != nil {
		return false
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail("truncated: need %d bytes, %d left", n, len(d.b)-d.off)
		return false
	}
	return true
}

func (d *decoder) u8() uint8 {
	if !d.need(1) {
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *decoder) u32() uint32 {
	if !d.need(4) {
		return 0
	}
	d.off += 4
	return binary.LittleEndian.Uint32(d.b[d.off-4:])
}

func (d *decoder) u64() uint64 {
	if !d.need(8) {
		return 0
	}
	d.off += 8
	return binary.LittleEndian.Uint64(d.b[d.off-8:])
}

func (d *decoder) i64() int64   { return int64(d.u64()) }
func (d *decoder) f32() float32 { return math.Float32frombits(d.u32()) }

// count reads a u32 element count and checks it against limit and against
// the bytes left, given that each element takes at least minSize bytes.
func (d *decoder) count(what string, limit int, minSize uint64) int {
	n := d.u32()
	if d.err != nil {
		return 0
	}
	if uint64(n) > uint64(limit) {
		d.fail("%d %s, limit %d", n, what, limit)
		return 0
	}
	if !d.need(uint64(n) * minSize) {
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.u32()
	if d.err != nil {
		return ""
	}
	if n > maxString {
		d.fail("string of %d bytes, limit %d", n, maxString)
		return ""
	}
	if !d.need(uint64(n)) {
		return ""
	}
	d.off += int(n)
	return string(d.b[d.off-int(n) : d.off])
}

func (d *decoder) strs(what string, limit int) []string {
	n := d.count(what, limit, minStr)
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *decoder) f32s(what string, limit int) []float32 {
	n := d.count(what, limit, 4)
	if n == 0 {
		return nil
	}
	fs := make([]float32, n)
	for i := range fs {
		fs[i] = d.f32()
	}
	return fs
}

func (d *decoder) model() *Model {
	m := &Model{}
	md := &m.Meta
	md.Name = d.str()
	md.SourceFile = d.str()
	md.SourceSHA256 = d.str()
	md.Producer = d.str()
	md.ColorOrder = d.str()
	md.Mean = d.f32s("mean values", maxMetaFloats)
	md.Std = d.f32s("std values", maxMetaFloats)
	if n := d.count("extra entries", maxMetaExtra, 2*minStr); n > 0 {
		md.Extra = make(map[string]string, n)
		prev := ""
		for i := range n {
			k, v := d.str(), d.str()
			if i > 0 && k <= prev {
				d.fail("metadata extra key %.40q not after %.40q (keys must be sorted and unique)", k, prev)
			}
			md.Extra[k], prev = v, k
		}
	}
	if d.err != nil {
		d.err = fmt.Errorf("metadata: %w", d.err)
		return nil
	}

	g := &m.Graph
	g.Inputs = d.valueInfos("graph inputs")
	g.Outputs = d.valueInfos("graph outputs")
	if n := d.count("tensors", maxTensors, minTensor); n > 0 {
		g.Tensors = make([]Tensor, n)
		for i := range g.Tensors {
			d.tensor(&g.Tensors[i])
			if d.err != nil {
				d.err = fmt.Errorf("tensor %d: %w", i, d.err)
				return nil
			}
		}
	}
	if n := d.count("nodes", maxNodes, minNode); n > 0 {
		g.Nodes = make([]Node, n)
		for i := range g.Nodes {
			d.node(&g.Nodes[i])
			if d.err != nil {
				d.err = fmt.Errorf("node %d %q: %w", i, g.Nodes[i].Name, d.err)
				return nil
			}
		}
	}
	if d.err != nil {
		return nil
	}
	return m
}

func (d *decoder) valueInfos(what string) []ValueInfo {
	n := d.count(what, maxValueInfos, minValueInfo)
	if n == 0 {
		return nil
	}
	vis := make([]ValueInfo, n)
	for i := range vis {
		vis[i].Name = d.str()
		rank := d.u8()
		if rank > maxRank {
			d.fail("%s %d %q: rank %d, limit %d", what, i, vis[i].Name, rank, maxRank)
		}
		if !d.need(uint64(rank) * minDim) {
			break
		}
		if rank > 0 {
			vis[i].Shape = make([]Dim, rank)
			for j := range vis[i].Shape {
				vis[i].Shape[j] = Dim{Value: d.i64(), Param: d.str()}
			}
		}
	}
	if d.err != nil {
		d.err = fmt.Errorf("%s: %w", what, d.err)
	}
	return vis
}

// tensor reads one tensor record and notes where its data lies; attach
// fills in the data once the whole header has been read.
func (d *decoder) tensor(t *Tensor) {
	t.Name = d.str()
	t.DType = DType(d.u8())
	rank := d.u8()
	if rank > maxRank {
		d.fail("tensor %q: rank %d, limit %d", t.Name, rank, maxRank)
	}
	if !d.need(uint64(rank) * 8) {
		return
	}
	if rank > 0 {
		t.Shape = make([]int64, rank)
		for j := range t.Shape {
			t.Shape[j] = d.i64()
		}
	}
	off, size := d.u64(), d.u64()
	if d.err != nil {
		return
	}
	es := elemSize(t.DType)
	if es == 0 {
		d.fail("tensor %q: dtype %d", t.Name, t.DType)
		return
	}
	n, err := shapeElems(t.Shape)
	if err != nil {
		d.err = fmt.Errorf("tensor %q: %w", t.Name, err)
		return
	}
	if uint64(n)*uint64(es) != size {
		d.fail("tensor %q: %s%v needs %d bytes, record says %d", t.Name, t.DType, t.Shape, uint64(n)*uint64(es), size)
		return
	}
	d.spans = append(d.spans, span{t, off, size})
}

func (d *decoder) node(n *Node) {
	n.Name = d.str()
	n.Op = d.str()
	n.Inputs = d.strs("inputs", maxNodeIO)
	n.Outputs = d.strs("outputs", maxNodeIO)
	na := d.count("attributes", maxAttrs, minAttr)
	if na == 0 {
		return
	}
	n.Attrs = make([]Attr, na)
	for i := range n.Attrs {
		a := &n.Attrs[i]
		a.Name = d.str()
		a.Kind = AttrKind(d.u8())
		switch a.Kind {
		case AttrInt:
			a.Int = d.i64()
		case AttrFloat:
			a.Float = d.f32()
		case AttrString:
			a.String = d.str()
		case AttrInts:
			if k := d.count("ints", maxAttrList, 8); k > 0 {
				a.Ints = make([]int64, k)
				for j := range a.Ints {
					a.Ints[j] = d.i64()
				}
			}
		case AttrFloats:
			a.Floats = d.f32s("floats", maxAttrList)
		case AttrStrings:
			a.Strings = d.strs("strings", maxAttrList)
		case AttrTensor:
			a.Tensor = &Tensor{}
			d.tensor(a.Tensor)
		default:
			d.fail("attribute %q: kind %d", a.Name, a.Kind)
		}
		if d.err != nil {
			d.err = fmt.Errorf("attribute %d %q: %w", i, a.Name, d.err)
			return
		}
	}
}
