package imageio

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// maxDataURIHeader bounds the "data:...;base64," prefix searched for the
// comma, so a huge string without one is not scanned for it.
const maxDataURIHeader = 256

// DecodeBase64 decodes the base64 text a client sent for an image.
//
// It accepts what real clients send: the standard or URL-safe alphabet,
// with or without '=' padding, optionally behind a data URI prefix
// ("data:image/jpeg;base64,", any case, any parameters, any media type:
// the format is sniffed from the bytes later), with whitespace (spaces,
// tabs, CR, LF) anywhere. A data URI that is not base64 is rejected.
//
// maxBytes limits the decoded size (<= 0: no limit). The size is computed
// from the number of base64 characters, before anything is decoded or
// allocated, and an excess fails with ErrTooLarge. Every other problem fails with ErrNotBase64.
func DecodeBase64(s string, maxBytes int) ([]byte, error) {
	s = strings.TrimLeft(s, " \t\r\n\f\v")
	if len(s) >= 5 && strings.EqualFold(s[:5], "data:") {
		head := s[:min(len(s), maxDataURIHeader)]
		comma := strings.IndexByte(head, ',')
		if comma < 0 {
			return nil, fmt.Errorf("%w: data URI without a comma in its first %d bytes", ErrNotBase64, maxDataURIHeader)
		}
		isBase64 := false
		for _, p := range strings.Split(head[5:comma], ";")[1:] {
			if strings.EqualFold(strings.TrimSpace(p), "base64") {
				isBase64 = true
			}
		}
		if !isBase64 {
			return nil, fmt.Errorf("%w: data URI is not ;base64", ErrNotBase64)
		}
		s = s[comma+1:]
	}

	// One pass: count whitespace and padding, and see which alphabet is
	// used. The text is copied (once) only if it contains whitespace.
	var counts [numClasses]int
	for i := 0; i < len(s); i++ {
		counts[b64class[s[i]]]++
	}
	spaces, std, url, eq := counts[clSpace], counts[clStd], counts[clURL], counts[clPad]
	n := len(s) - spaces // base64 characters, padding included
	if n == 0 {
		return nil, fmt.Errorf("%w: empty", ErrNotBase64)
	}
	if std > 0 && url > 0 {
		return nil, fmt.Errorf("%w: mixes the standard and URL-safe alphabets", ErrNotBase64)
	}
	// Every non-padding character carries 6 bits; for valid input this is
	// the exact decoded size.
	if size := (n-eq)/4*3 + (n-eq)%4*3/4; maxBytes > 0 && size > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes of base64 data, limit %d", ErrTooLarge, size, maxBytes)
	}

	var src []byte
	if spaces == 0 {
		// Read-only view of the string: the decoder never writes its input.
		src = unsafe.Slice(unsafe.StringData(s), len(s))
	} else {
		src = make([]byte, 0, n)
		for i := 0; i < len(s); {
			j := i
			for j < len(s) && b64class[s[j]] != clSpace {
				j++
			}
			src = append(src, s[i:j]...)
			i = j + 1
		}
	}
	// Strip padding and decode without it, so padded and unpadded input
	// take the same path; padding must then have made a multiple of 4.
	pad := 0
	for pad < 2 && len(src) > 0 && src[len(src)-1] == '=' {
		src = src[:len(src)-1]
		pad++
	}
	if pad > 0 && (len(src)+pad)%4 != 0 {
		return nil, fmt.Errorf("%w: bad padding", ErrNotBase64)
	}
	enc := base64.RawStdEncoding
	if url > 0 {
		enc = base64.RawURLEncoding
	}
	out := make([]byte, enc.DecodedLen(len(src)))
	m, err := enc.Decode(out, src)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("%w: invalid input at base64 character %d", ErrNotBase64, int64(ce))
		}
		return nil, fmt.Errorf("%w: %v", ErrNotBase64, err)
	}
	if maxBytes > 0 && m > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, m, maxBytes)
	}
	return out[:m], nil
}

// Character classes for the counting pass.
const (
	clOther = iota // letters, digits, anything invalid
	clSpace        // ' ', \t, \r, \n, \f, \v
	clStd          // '+', '/'
	clURL          // '-', '_'
	clPad          // '='
	numClasses
)

var b64class = func() (t [256]uint8) {
	for _, c := range " \t\r\n\f\v" {
		t[c] = clSpace
	}
	t['+'], t['/'] = clStd, clStd
	t['-'], t['_'] = clURL, clURL
	t['='] = clPad
	return t
}()
