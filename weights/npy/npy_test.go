package npy

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/shared"
)

// file builds a .npy file by hand: magic, version major.0, the header
// length in the version's width, the header and data.
func file(major byte, header string, data []byte) []byte {
	b := []byte(magic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	b = append(b, header...)
	return append(b, data...)
}

func floatBytes(fs ...float32) []byte {
	var b []byte
	for _, f := range fs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// TestGolden reads every array of the shared ONNX Runtime reference cases,
// checks its shape against the manifest, and checks that Write reproduces
// the file numpy wrote byte for byte.
func TestGolden(t *testing.T) {
	dir := shared.Path(t, "golden")
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		File  string `json:"file"`
		Shape []int  `json:"shape"`
	}
	var cases []struct {
		Case    string  `json:"case"`
		Input   entry   `json:"input"`
		Outputs []entry `json:"outputs"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("manifest lists no cases")
	}
	files := 0
	for _, c := range cases {
		for _, e := range append([]entry{c.Input}, c.Outputs...) {
			path := filepath.Join(dir, c.Case, e.File)
			a, err := ReadFile(path)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			files++
			if !reflect.DeepEqual(a.Shape, e.Shape) {
				t.Errorf("%s: shape %v, manifest says %v", path, a.Shape, e.Shape)
			}
			finite := true
			for _, v := range a.Data {
				finite = finite && !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
			}
			if !finite {
				t.Errorf("%s: holds NaN or Inf", path)
			}
			want, _ := os.ReadFile(path)
			var got bytes.Buffer
			if err := Write(&got, a.Shape, a.Data); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				n := min(128, len(want), got.Len())
				t.Errorf("%s: Write output differs from numpy's\n got %q\nwant %q", path, got.Bytes()[:n], want[:n])
			}
		}
	}
	t.Logf("read and re-wrote %d golden arrays", files)
}

func TestRoundTrip(t *testing.T) {
	special := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)),
		math.Float32frombits(0x7fc00123), math.SmallestNonzeroFloat32, math.MaxFloat32}
	tests := []struct {
		shape []int
		data  []float32
	}{
		{[]int{}, []float32{3.5}},
		{[]int{0}, nil},
		{[]int{6}, special},
		{[]int{2, 3}, special},
		{[]int{3, 0, 2}, nil},
		{[]int{1, 2, 1, 3, 1}, []float32{1, 2, 3, 4, 5, 6}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := Write(&buf, tt.shape, tt.data); err != nil {
			t.Fatalf("shape %v: %v", tt.shape, err)
		}
		if (buf.Len()-len(tt.data)*4)%64 != 0 {
			t.Errorf("shape %v: header of %d bytes, want a multiple of 64", tt.shape, buf.Len()-len(tt.data)*4)
		}
		a, err := Read(&buf)
		if err != nil {
			t.Fatalf("shape %v: %v", tt.shape, err)
		}
		if len(a.Shape) != len(tt.shape) || (len(tt.shape) > 0 && !reflect.DeepEqual(a.Shape, tt.shape)) {
			t.Errorf("shape %v read back as %v", tt.shape, a.Shape)
		}
		if len(a.Data) != len(tt.data) {
			t.Fatalf("shape %v: %d values read back, want %d", tt.shape, len(a.Data), len(tt.data))
		}
		for i := range a.Data {
			if math.Float32bits(a.Data[i]) != math.Float32bits(tt.data[i]) {
				t.Errorf("shape %v: value %d = %v, want %v (bit-exact)", tt.shape, i, a.Data[i], tt.data[i])
			}
		}
		if buf.Len() != 0 {
			t.Errorf("shape %v: Read left %d bytes unread", tt.shape, buf.Len())
		}
	}
}

func TestFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npy")
	if err := WriteFile(path, []int{2, 2}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	a, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, &Array{Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}) {
		t.Errorf("read back %+v", a)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want os.ErrNotExist", err)
	}
	if err := WriteFile(path, []int{3}, []float32{1}); err == nil {
		t.Error("WriteFile accepted 1 value for shape (3,)")
	}
}

// TestLongHeader: a header too long for version 1.0's uint16 length is
// written as version 2.0, as numpy does, and reads back.
func TestLongHeader(t *testing.T) {
	shape := make([]int, 40000)
	for i := range shape {
		shape[i] = 1
	}
	var buf bytes.Buffer
	if err := Write(&buf, shape, []float32{7}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if b[6] != 2 || b[7] != 0 {
		t.Fatalf("version %d.%d, want 2.0", b[6], b[7])
	}
	if hl := 12 + binary.LittleEndian.Uint32(b[8:]); hl%64 != 0 {
		t.Errorf("data at offset %d, want a multiple of 64", hl)
	}
	a, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != len(shape) || a.Data[0] != 7 {
		t.Errorf("read back rank %d, data %v", len(a.Shape), a.Data)
	}
}

// TestHeaders reads headers numpy or other writers may produce.
func TestHeaders(t *testing.T) {
	data := floatBytes(1, 2, 3, 4, 5, 6)
	tests := []struct {
		name   string
		file   []byte
		shape  []int
		values int
	}{
		{"v1", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", data), []int{2, 3}, 6},
		{"v2", file(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }"+strings.Repeat(" ", 50)+"\n", data), []int{6}, 6},
		{"v3 utf-8", file(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }  \n", data), []int{3, 2}, 6},
		{"key order, no trailing comma", file(1, "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", data), []int{2, 3}, 6},
		{"double quotes", file(1, `{"descr": "<f4", "fortran_order": False, "shape": (6,)}`, data), []int{6}, 6},
		{"python 2 longs", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n", data), []int{2, 3}, 6},
		{"scalar", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", data[:4]), nil, 1},
		{"empty", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }\n", nil), []int{0, 5}, 0},
		{"spacing", file(1, "{ 'descr' :'<f4' ,'fortran_order':False,'shape':( 6 , ) }\r\n\t", data), []int{6}, 6},
		{"trailing bytes", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", data), []int{1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Read(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Shape) != len(tt.shape) || len(tt.shape) > 0 && !reflect.DeepEqual(a.Shape, tt.shape) {
				t.Errorf("shape %v, want %v", a.Shape, tt.shape)
			}
			if len(a.Data) != tt.values {
				t.Fatalf("%d values, want %d", len(a.Data), tt.values)
			}
			for i, v := range a.Data {
				if v != float32(i+1) {
					t.Errorf("value %d = %v, want %v", i, v, i+1)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	hdr := func(descr, fortran, shape string) string {
		return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n"
	}
	ok := hdr("'<f4'", "False", "(2,)")
	data := floatBytes(1, 2)
	tests := []struct {
		name string
		file []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"bad magic", append([]byte("\x93NUMPZ\x01\x00"), 0, 0), ErrFormat},
		{"short magic", []byte("\x93NUM"), io.ErrUnexpectedEOF},
		{"version 4.0", file(4, ok, data), ErrFormat},
		{"version 1.1", append([]byte(magic+"\x01\x01"), file(1, ok, data)[8:]...), ErrFormat},
		{"no header length", []byte(magic + "\x01\x00\x10"), io.ErrUnexpectedEOF},
		{"header truncated", file(1, ok, nil)[:30], io.ErrUnexpectedEOF},
		{"header length huge", append([]byte(magic+"\x02\x00\xff\xff\xff\xff"), ok...), ErrFormat},
		{"f8", file(1, hdr("'<f8'", "False", "(2,)"), data), ErrUnsupported},
		{"big-endian", file(1, hdr("'>f4'", "False", "(2,)"), data), ErrUnsupported},
		{"i8", file(1, hdr("'<i8'", "False", "(1,)"), data), ErrUnsupported},
		{"structured", file(1, hdr("[('a', '<f4')]", "False", "(2,)"), data), ErrUnsupported},
		{"fortran", file(1, hdr("'<f4'", "True", "(1, 2)"), data), ErrUnsupported},
		{"descr not string", file(1, hdr("4", "False", "(2,)"), data), ErrFormat},
		{"fortran not bool", file(1, hdr("'<f4'", "0", "(2,)"), data), ErrFormat},
		{"shape list", file(1, hdr("'<f4'", "False", "[2]"), data), ErrFormat},
		{"shape int", file(1, hdr("'<f4'", "False", "(2)"), data), ErrFormat},
		{"shape negative", file(1, hdr("'<f4'", "False", "(-2,)"), data), ErrFormat},
		{"shape float", file(1, hdr("'<f4'", "False", "(2.0,)"), data), ErrFormat},
		{"shape string", file(1, hdr("'<f4'", "False", "('2',)"), data), ErrFormat},
		{"shape overflows", file(1, hdr("'<f4'", "False", "(4611686018427387904, 4611686018427387904)"), data), ErrFormat},
		{"shape beyond int64", file(1, hdr("'<f4'", "False", "(99999999999999999999,)"), data), ErrFormat},
		{"missing key", file(1, "{'descr': '<f4', 'shape': (2,)}", data), ErrFormat},
		{"extra key", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data), ErrFormat},
		{"duplicate key", file(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", data), ErrFormat},
		{"not a dict", file(1, "('<f4', False, (2,))", data), ErrFormat},
		{"unterminated", file(1, "{'descr': '<f4", data), ErrFormat},
		{"junk after dict", file(1, ok[:len(ok)-1]+" x", data), ErrFormat},
		{"unknown name", file(1, hdr("'<f4'", "false", "(2,)"), data), ErrFormat},
		{"missing comma", file(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", data), ErrFormat},
		{"deep nesting", file(1, "{'descr': "+strings.Repeat("(", 10000)+"}", data), ErrFormat},
		{"data truncated", file(1, ok, data[:7]), io.ErrUnexpectedEOF},
		{"no data", file(1, ok, nil), io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Read(bytes.NewReader(tt.file))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Read = %+v, %v; want %v", a, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "npy: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestHugeShape: a header claiming far more data than present fails with a
// truncation error after allocating little, not gigabytes up front.
func TestHugeShape(t *testing.T) {
	f := file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576, 16), }\n", floatBytes(1, 2, 3))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(f))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrFormat) {
		t.Fatalf("Read = %v, want a truncation or size error", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("allocated %d bytes for a 100-byte input", n)
	}
}

func TestTruncatedEverywhere(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	for n := range len(b) {
		if _, err := Read(bytes.NewReader(b[:n])); err == nil {
			t.Fatalf("Read accepted the first %d of %d bytes", n, len(b))
		}
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		data  []float32
	}{
		{"too few values", []int{2, 2}, []float32{1, 2, 3}},
		{"too many values", []int{1}, []float32{1, 2}},
		{"scalar without value", []int{}, nil},
		{"negative dim", []int{-1}, nil},
		{"overflow", []int{math.MaxInt / 2, 4}, nil},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := Write(&buf, tt.shape, tt.data); err == nil {
			t.Errorf("%s: Write accepted shape %v with %d values", tt.name, tt.shape, len(tt.data))
		}
		if buf.Len() != 0 {
			t.Errorf("%s: Write refused but wrote %d bytes", tt.name, buf.Len())
		}
	}
	if err := Write(failWriter{}, []int{1}, []float32{1}); err == nil {
		t.Error("Write ignored the writer's error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
