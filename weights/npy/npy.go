// Package npy reads and writes NumPy .npy files holding little-endian
// float32 arrays in C order: the format the golden reference outputs (and
// the inputs fed to ONNX Runtime) use.
//
// The format (numpy.lib.format): the magic "\x93NUMPY", a major and minor
// version byte, the header length (uint16 in version 1.0, uint32 in 2.0 and
// 3.0, little-endian), then the header: a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
// spaces and a newline so the data starts at a multiple of 64 bytes. The
// header is latin-1 in 1.0 and 2.0 and UTF-8 in 3.0. The data follows
// directly.
//
// Read parses the dict properly rather than matching text, refuses what it
// cannot represent (other dtypes, Fortran order, structured arrays) with
// ErrUnsupported, and allocates only as data actually arrives, so a header
// claiming a huge shape costs nothing until the bytes are there.
package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Array is a float32 array in C (row-major) order. Shape is empty for a
// scalar; len(Data) is the product of Shape.
type Array struct {
	Shape []int
	Data  []float32
}

var (
	// ErrFormat means the input is not a well-formed .npy file: bad magic,
	// an unknown version, or a malformed header.
	ErrFormat = errors.New("npy: malformed file")
	// ErrUnsupported means a well-formed .npy file holds something this
	// package does not read: a dtype other than '<f4', or Fortran order.
	ErrUnsupported = errors.New("npy: unsupported array")
)

const (
	magic = "\x93NUMPY"
	// maxHeader bounds the header Read accepts. numpy's own reader refuses
	// headers over 10000 bytes by default; Write needs more only for
	// arrays of absurd rank.
	maxHeader = 1 << 20
	// growthDigits and alignment mirror numpy's writer
	// (GROWTH_AXIS_MAX_DIGITS, ARRAY_ALIGN), so Write's output is byte for
	// byte what numpy.save produces.
	growthDigits = 21
	alignment    = 64
)

// Read reads one float32 .npy array from r, consuming exactly its bytes.
// Truncated data yields an error wrapping io.ErrUnexpectedEOF.
func Read(r io.Reader) (*Array, error) {
	var pre [10]byte
	if n, err := io.ReadFull(r, pre[:8]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, fmt.Errorf("%w: empty input", ErrFormat)
		}
		return nil, fmt.Errorf("npy: reading magic: %w", err)
	}
	if string(pre[:6]) != magic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrFormat, pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen uint64
	switch {
	case major == 1 && minor == 0:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", eof(err))
		}
		hlen = uint64(binary.LittleEndian.Uint16(pre[8:]))
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", eof(err))
		}
		hlen = uint64(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("%w: version %d.%d (want 1.0, 2.0 or 3.0)", ErrFormat, major, minor)
	}
	if hlen > maxHeader {
		return nil, fmt.Errorf("%w: header of %d bytes, limit %d", ErrFormat, hlen, maxHeader)
	}
	// Read through a limit, so a length claimed but not present costs no
	// more memory than the bytes that are.
	header, err := io.ReadAll(io.LimitReader(r, int64(hlen)))
	if err != nil {
		return nil, fmt.Errorf("npy: reading header: %w", err)
	}
	if uint64(len(header)) != hlen {
		return nil, fmt.Errorf("npy: header truncated at %d of %d bytes: %w", len(header), hlen, io.ErrUnexpectedEOF)
	}
	shape, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	n, err := elements(shape)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	data, err := readFloats(r, n)
	if err != nil {
		return nil, err
	}
	return &Array{Shape: shape, Data: data}, nil
}

func eof(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// elements returns the product of shape, refusing negative dimensions and
// products whose size in bytes would overflow an int.
func elements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d == 0 {
			return 0, nil
		}
	}
	for _, d := range shape {
		if n > math.MaxInt/4/d {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n *= d
	}
	return n, nil
}

// readFloats reads n little-endian float32s in chunks, growing the result
// only as bytes arrive.
func readFloats(r io.Reader, n int) ([]float32, error) {
	const chunk = 16 << 10 // elements
	out := make([]float32, 0, min(n, chunk))
	buf := make([]byte, 4*min(n, chunk))
	for len(out) < n {
		k := min(n-len(out), chunk)
		got, err := io.ReadFull(r, buf[:4*k])
		if err != nil {
			have := 4*len(out) + got
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, fmt.Errorf("npy: data truncated at %d of %d bytes: %w", have, 4*n, io.ErrUnexpectedEOF)
			}
			return nil, fmt.Errorf("npy: reading data: %w", err)
		}
		for i := range k {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:])))
		}
	}
	return out, nil
}

// parseHeader parses the header dict and returns the shape, checking that
// the array is '<f4' in C order.
func parseHeader(header []byte) ([]int, error) {
	p := parser{s: string(header)}
	v, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("%w: header %.80q: %v", ErrFormat, header, err)
	}
	d, ok := v.(dict)
	if !ok {
		return nil, fmt.Errorf("%w: header is not a dict: %.80q", ErrFormat, header)
	}
	if len(d) != 3 || d["descr"] == nil || d["fortran_order"] == nil || d["shape"] == nil {
		return nil, fmt.Errorf("%w: header keys must be exactly descr, fortran_order, shape: %.80q", ErrFormat, header)
	}
	switch descr := d["descr"].(type) {
	case string:
		if descr != "<f4" {
			return nil, fmt.Errorf("%w: dtype %q (only '<f4', little-endian float32, is read)", ErrUnsupported, descr)
		}
	case list:
		return nil, fmt.Errorf("%w: structured dtype", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: descr is not a string", ErrFormat)
	}
	switch fo := d["fortran_order"].(type) {
	case bool:
		if fo {
			return nil, fmt.Errorf("%w: Fortran-order array (save it C-contiguous: np.ascontiguousarray)", ErrUnsupported)
		}
	default:
		return nil, fmt.Errorf("%w: fortran_order is not a bool", ErrFormat)
	}
	t, ok := d["shape"].(tuple)
	if !ok {
		return nil, fmt.Errorf("%w: shape is not a tuple", ErrFormat)
	}
	shape := make([]int, len(t))
	for i, x := range t {
		v, ok := x.(int64)
		if !ok || v < 0 || int64(int(v)) != v {
			return nil, fmt.Errorf("%w: shape %.80q: dimension %d is not a non-negative int", ErrFormat, header, i)
		}
		shape[i] = int(v)
	}
	return shape, nil
}

// ReadFile reads a float32 .npy file.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	a, err := Read(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Write writes data, a C-order float32 array of the given shape, in the
// format numpy.save uses: version 1.0 (2.0 when the header does not fit a
// uint16 length), header padded so the data starts at a multiple of 64.
func Write(w io.Writer, shape []int, data []float32) error {
	n, err := elements(shape)
	if err != nil {
		return fmt.Errorf("npy: write: %v", err)
	}
	if n != len(data) {
		return fmt.Errorf("npy: write: shape %v holds %d elements, data has %d", shape, n, len(data))
	}
	hdr, err := header(shape)
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("npy: write: %w", err)
	}
	const chunk = 16 << 10 // elements
	buf := make([]byte, 0, 4*min(len(data), chunk))
	for len(data) > 0 {
		k := min(len(data), chunk)
		buf = buf[:0]
		for _, v := range data[:k] {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("npy: write: %w", err)
		}
		data = data[k:]
	}
	return nil
}

// header returns magic, version, length and dict exactly as numpy's
// _write_array_header and _wrap_header build them.
func header(shape []int) ([]byte, error) {
	var s strings.Builder
	s.WriteString("{'descr': '<f4', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		s.WriteByte(',')
	}
	s.WriteString("), }")
	if len(shape) > 0 {
		// Room to grow the first axis in place, as numpy leaves.
		s.WriteString(strings.Repeat(" ", max(0, growthDigits-len(strconv.Itoa(shape[0])))))
	}
	dict := s.String()
	hlen := len(dict) + 1 // the closing newline
	for _, v := range []struct {
		major, lenSize int
		limit          int
	}{{1, 2, math.MaxUint16}, {2, 4, maxHeader}} {
		pad := alignment - (len(magic)+2+v.lenSize+hlen)%alignment
		if hlen+pad > v.limit {
			continue
		}
		out := make([]byte, 0, len(magic)+2+v.lenSize+hlen+pad)
		out = append(out, magic...)
		out = append(out, byte(v.major), 0)
		if v.lenSize == 2 {
			out = binary.LittleEndian.AppendUint16(out, uint16(hlen+pad))
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(hlen+pad))
		}
		out = append(out, dict...)
		out = append(out, strings.Repeat(" ", pad)...)
		return append(out, '\n'), nil
	}
	return nil, fmt.Errorf("npy: write: shape of rank %d needs a header longer than %d bytes", len(shape), maxHeader)
}

// WriteFile writes a float32 .npy file; see Write. On error no file is
// left at path.
func WriteFile(path string, shape []int, data []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	err = Write(f, shape, data)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("npy: %w", cerr)
	}
	if err != nil {
		os.Remove(path) // leave no partial array behind
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
