package api

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	"strings"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// verifikID returns a Verifik response id: 5 upper-case letters or digits
// (36^5 ≈ 60 million values, drawn without modulo bias).
func verifikID() string {
	var out [5]byte
	var buf [16]byte
	n := 0
	for n < len(out) {
		rand.Read(buf[:])
		for _, c := range buf {
			if c < 252 && n < len(out) { // 252 = 7*36: keep the draw uniform
				out[n] = idAlphabet[c%36]
				n++
			}
		}
	}
	return string(out[:])
}

// newUUID returns a random (version 4, RFC 9562) UUID in canonical form.
func newUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// isUUIDv4 reports whether s is a canonical version-4 UUID (either case).
func isUUIDv4(s string) bool {
	if len(s) != 36 || s[14] != '4' || !strings.ContainsRune("89abAB", rune(s[19])) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// validRequestID accepts a client's X-Request-Id when it is short and made of
// characters that cannot confuse a log reader.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// finite replaces NaN and ±Inf (which JSON cannot carry) by 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// maxLogit is ln(1e7): OkayFace's linear liveness score is clipped to
// (ln 1e-7, -ln 1e-7).
var maxLogit = math.Log(1e7)

// logit is ln(p/(1-p)) clipped to ±ln(1e7); p = 0 and p = 1 map to the clip.
func logit(p float64) float64 {
	p = finite(p)
	l := math.Log(p) - math.Log1p(-p)
	if math.IsNaN(l) { // p outside [0,1]
		if p > 1 {
			return maxLogit
		}
		return -maxLogit
	}
	return math.Max(-maxLogit, math.Min(maxLogit, l))
}
