package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestReadPairs(t *testing.T) {
	dir := t.TempDir()
	v1 := filepath.Join(dir, "v1.txt")
	os.WriteFile(v1, []byte("2\nA\t1\t2\nB\t1\t3\nA\t1\tB\t2\nC\t4\tD\t1\n"), 0o644)
	ps, nf, err := readPairs(v1, 2)
	if err != nil || nf != 2 || len(ps) != 4 {
		t.Fatalf("%v %d %d", err, nf, len(ps))
	}
	if ps[0].a != "A/A_0001" || ps[0].b != "A/A_0002" || !ps[0].same || ps[2].same || ps[2].b != "B/B_0002" {
		t.Errorf("pairs %+v", ps)
	}
	if ps[0].fold != 0 || ps[1].fold != 1 || ps[2].fold != 0 || ps[3].fold != 1 {
		t.Errorf("folds %+v", ps)
	}
	v2 := filepath.Join(dir, "v2.txt")
	os.WriteFile(v2, []byte("2 1\nA 1 2\nA 1 B 2\nC 1 2\nC 1 D 2\n"), 0o644)
	ps, nf, err = readPairs(v2, 10)
	if err != nil || nf != 2 || ps[1].fold != 0 || ps[2].fold != 1 {
		t.Fatalf("view 2: %v %d %+v", err, nf, ps)
	}
	for _, bad := range []string{"", "x\n", "1\nA 1 2\n", "1\nA 1 2\nA x B 2\n", "1\nA 1 2 3 4 5\nB 1 2\n"} {
		p := filepath.Join(dir, "bad.txt")
		os.WriteFile(p, []byte(bad), 0o644)
		if _, _, err := readPairs(p, 1); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBestThresholdAndFAR(t *testing.T) {
	s := []scored{{0.1, false, 0}, {0.2, false, 0}, {0.35, true, 0}, {0.3, false, 0}, {0.6, true, 0}, {0.25, true, 0}}
	th, acc := bestThreshold(s)
	if math.Abs(acc-5.0/6) > 1e-12 || accuracyAt(s, th) != acc {
		t.Errorf("threshold %v accuracy %v", th, acc)
	}
	imp := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}
	if th := thresholdAtFAR(imp, 0.1); rate(imp, th, true) > 0.1 || th > 0.9+1e-9 || th <= 0.9 {
		t.Errorf("FAR 0.1 threshold %v admits %v", th, rate(imp, th, true))
	}
	if th := thresholdAtFAR(imp, 0); rate(imp, th, true) != 0 {
		t.Errorf("FAR 0 threshold %v admits %v", th, rate(imp, th, true))
	}
}

// Pairs and label files come from users: any content must give pairs or
// an error, never a panic.
func FuzzReadPairs(f *testing.F) {
	f.Add([]byte("1\nA 1 2\nA 1 B 2\n"))
	f.Add([]byte("2 1\nA 1 2\nA 1 B 2\nC 1 2\nC 1 D 2\n"))
	f.Add([]byte("0\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "pairs.txt")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Skip()
		}
		ps, nf, err := readPairs(p, 10)
		if err == nil && (nf < 1 || len(ps) == 0) {
			t.Fatalf("no error but %d folds, %d pairs", nf, len(ps))
		}
	})
}

func FuzzReadLabels(f *testing.F) {
	f.Add([]byte("path,label\na.png,live\nb.png,spoof\n"))
	f.Add([]byte("label,x,path\nlive,1,a.png\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "labels.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Skip()
		}
		rows, err := readLabels(p)
		for _, r := range rows {
			if err == nil && r[1] != "live" && r[1] != "spoof" {
				t.Fatalf("label %q accepted", r[1])
			}
		}
	})
}
