package imageio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// wrap inserts sep after every n characters, like MIME encoders do.
func wrap(s string, n int, sep string) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n])
		b.WriteString(sep)
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func TestDecodeBase64(t *testing.T) {
	// Bytes chosen so the standard and URL-safe encodings differ (they
	// contain '+' and '/', or '-' and '_').
	data := []byte{0xfb, 0xff, 0xbf, 0xfe, 0x00, 0x10, 0xff, 0xd8, 0xff, 0xe0, 0x3e, 0x3f}
	std := base64.StdEncoding.EncodeToString(data)        // "+/+/"-style, padded
	url := base64.URLEncoding.EncodeToString(data)        // "-_" padded
	rawStd := base64.RawStdEncoding.EncodeToString(data)  // unpadded
	rawURL := base64.RawURLEncoding.EncodeToString(data)  // unpadded
	one := base64.StdEncoding.EncodeToString(data[:1])    // "+w=="
	two := base64.RawURLEncoding.EncodeToString(data[:2]) // "-_8"
	if !strings.ContainsAny(std, "+/") || !strings.ContainsAny(url, "-_") {
		t.Fatalf("test data does not exercise the alphabets: %q %q", std, url)
	}
	ok := []struct {
		name, in string
		want     []byte
	}{
		{"std", std, data},
		{"url", url, data},
		{"raw std", rawStd, data},
		{"raw url", rawURL, data},
		{"one byte padded", one, data[:1]},
		{"one byte unpadded", strings.TrimRight(one, "="), data[:1]},
		{"two bytes url", two, data[:2]},
		{"data uri", "data:image/jpeg;base64," + std, data},
		{"data uri upper", "DATA:IMAGE/PNG;BASE64," + std, data},
		{"data uri params", "data:image/png;name=a.png;charset=binary;base64," + url, data},
		{"data uri spaced param", "data:image/webp; base64 ," + rawURL, data},
		{"data uri no type", "data:;base64," + std, data},
		{"data uri other type", "data:application/octet-stream;base64," + std, data},
		{"leading and trailing space", " \r\n\t" + std + "\r\n ", data},
		{"crlf every 4", wrap(std, 4, "\r\n"), data},
		{"lf every 3", wrap(std, 3, "\n"), data},
		{"spaces and tabs", wrap(std, 1, " \t"), data},
		{"spaces around padding", strings.TrimRight(one, "=") + " =\r\n= ", data[:1]},
		{"data uri then wrapped", "data:image/jpeg;base64,\r\n" + wrap(url, 5, "\r\n"), data},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeBase64(tc.in, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %x, want %x", got, tc.want)
			}
		})
	}

	bad := []struct {
		name, in string
		max      int
		want     error
	}{
		{"empty", "", 0, ErrNotBase64},
		{"whitespace only", " \r\n\t ", 0, ErrNotBase64},
		{"data uri empty", "data:image/png;base64,", 0, ErrNotBase64},
		{"data uri not base64", "data:image/png," + std, 0, ErrNotBase64},
		{"data uri base64 in type", "data:image/base64," + std, 0, ErrNotBase64},
		{"data uri no comma", "data:image/png;base64" + std, 0, ErrNotBase64},
		{"data uri comma too late", "data:image/png;x=" + strings.Repeat("a", 300) + ";base64," + std, 0, ErrNotBase64},
		{"invalid char", std[:4] + "*" + std[5:], 0, ErrNotBase64},
		{"non-ascii", std[:4] + "é" + std[4:], 0, ErrNotBase64},
		{"mixed alphabets", "+/-_", 0, ErrNotBase64},
		{"one char", "Q", 0, ErrNotBase64},
		{"five chars", "QUJDR", 0, ErrNotBase64},
		{"bad padding", "QQ=", 0, ErrNotBase64},
		{"too much padding", "QQ===", 0, ErrNotBase64},
		{"padding inside", "QQ==QUJD", 0, ErrNotBase64},
		{"json quotes", `"` + std + `"`, 0, ErrNotBase64},
		{"too large", std, len(data) - 1, ErrTooLarge},
		{"too large unpadded", rawURL, len(data) - 1, ErrTooLarge},
		{"too large data uri", "data:image/png;base64," + wrap(std, 2, "\r\n"), len(data) - 1, ErrTooLarge},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeBase64(tc.in, tc.max)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %x, %v; want %v", got, err, tc.want)
			}
			if errors.Is(err, ErrNotImage) || (tc.want == ErrTooLarge) == errors.Is(err, ErrNotBase64) {
				t.Errorf("%v matches the wrong sentinels", err)
			}
		})
	}

	// The limit is exact: a whitespace-heavy encoding of maxBytes bytes
	// is accepted, one byte more is not.
	for _, n := range []int{1, 2, 3, 4, 5, 100, 1000} {
		b := bytes.Repeat([]byte{0xAB}, n)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			s := wrap(enc.EncodeToString(b), 1, "\r\n")
			if got, err := DecodeBase64(s, n); err != nil || !bytes.Equal(got, b) {
				t.Errorf("n=%d: %v", n, err)
			}
			if _, err := DecodeBase64(s, n-1); n > 1 && !errors.Is(err, ErrTooLarge) {
				t.Errorf("n=%d, limit %d: err = %v, want ErrTooLarge", n, n-1, err)
			}
		}
	}
}

// TestDecodeBase64RejectsBeforeDecoding: a 64 MiB text over a 1 MiB limit
// is refused without allocating anything like its size.
func TestDecodeBase64RejectsBeforeDecoding(t *testing.T) {
	s := strings.Repeat("QUJD", 16<<20)
	var err error
	n := allocated(func() { _, err = DecodeBase64(s, 1<<20) })
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if n > 64<<10 {
		t.Errorf("allocated %d bytes to reject", n)
	}
	// Without whitespace, decoding allocates only the output.
	s = strings.Repeat("QUJD", 1<<18) // 1 MiB of text, 768 KiB decoded
	n = allocated(func() { _, err = DecodeBase64(s, 1<<20) })
	if err != nil {
		t.Fatal(err)
	}
	if n > 800<<10 {
		t.Errorf("allocated %d bytes to decode 768 KiB", n)
	}
}
