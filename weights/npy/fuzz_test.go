package npy

import (
	"bytes"
	"math"
	"testing"
)

// FuzzRead checks that Read never panics, hangs or over-allocates, and that
// whatever it accepts writes back to a file that reads back identically.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	f.Add(buf.Bytes())
	buf.Reset()
	Write(&buf, nil, []float32{1})
	f.Add(buf.Bytes())
	f.Add(file(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", floatBytes(1)))
	f.Add(file(3, `{"shape": (1L,), "descr": "<f4", "fortran_order": False}`, floatBytes(1)))
	f.Add(file(1, "{'descr': [('a', '<f4')], 'fortran_order': True, 'shape': (1, 2), }\n", nil))
	f.Add(file(1, "{'descr': '<f8', 'fortran_order': None, 'shape': ((1, 2),), }\n", nil))
	f.Add(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }\n", floatBytes(1)))

	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, a.Shape, a.Data); err != nil {
			t.Fatalf("Write refused what Read returned: %v", err)
		}
		b, err := Read(&out)
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if len(b.Shape) != len(a.Shape) || len(b.Data) != len(a.Data) {
			t.Fatalf("shape %v/%d values read back as %v/%d", a.Shape, len(a.Data), b.Shape, len(b.Data))
		}
		for i := range a.Data {
			if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
				t.Fatalf("value %d changed", i)
			}
		}
	})
}
