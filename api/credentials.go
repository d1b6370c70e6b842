package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind says which contract a credential authenticates.
type Kind string

const (
	KindVerifik  Kind = "verifik"  // "Authorization: Bearer <token>"
	KindOkayFace Kind = "okayface" // the "apiKey" request field
)

// Credential is one token or API key as configured. The key itself is
// hashed on load and never kept, logged or echoed; Name is what logs show.
type Credential struct {
	Key     string
	Kind    Kind
	Expires time.Time // zero: never expires
	Quota   int64     // calls allowed over the process lifetime; 0: unlimited
	Name    string    // label for logs; defaults to "<kind>#<n>"
}

// AuthResult is the outcome of checking a presented credential.
type AuthResult int

const (
	AuthOK      AuthResult = iota
	AuthUnknown            // no credential of this kind has this key
	AuthExpired            // known, but past its expiry
	AuthQuota              // known, but its call quota is used up
)

type credEntry struct {
	digest  [sha256.Size]byte
	kind    Kind
	expires time.Time
	quota   int64
	name    string
}

// Credentials is the set of accepted tokens and API keys. Keys are stored as
// SHA-256 digests and compared with crypto/subtle against every entry, so
// neither the key's length nor which entry matched shows in the timing.
// Call counts (for quotas) survive Reload; they reset when the process
// restarts.
type Credentials struct {
	path  string       // file reloaded by Reload; "" when none
	fixed []Credential // from the environment; kept across reloads
	now   func() time.Time

	mu      sync.RWMutex
	entries []credEntry

	usedMu sync.Mutex
	used   map[[sha256.Size]byte]*atomic.Int64
}

// NewCredentials builds the store from fixed credentials (for example from
// the environment) plus those in the file at path (skipped when path is "").
func NewCredentials(path string, fixed []Credential) (*Credentials, error) {
	c := &Credentials{path: path, fixed: fixed, now: time.Now, used: map[[sha256.Size]byte]*atomic.Int64{}}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload re-reads the credentials file. On error the previous set stays in
// force.
func (c *Credentials) Reload() error {
	all := append([]Credential(nil), c.fixed...)
	if c.path != "" {
		data, err := os.ReadFile(c.path)
		if err != nil {
			return fmt.Errorf("credentials: %w", err)
		}
		fromFile, err := ParseCredentials(data)
		if err != nil {
			return fmt.Errorf("credentials: %s: %w", c.path, err)
		}
		all = append(all, fromFile...)
	}
	entries := make([]credEntry, 0, len(all))
	counts := map[Kind]int{}
	for _, cr := range all {
		if err := validCredential(cr); err != nil {
			return fmt.Errorf("credentials: %w", err)
		}
		counts[cr.Kind]++
		name := cr.Name
		if name == "" {
			name = fmt.Sprintf("%s#%d", cr.Kind, counts[cr.Kind])
		}
		entries = append(entries, credEntry{digest: sha256.Sum256([]byte(cr.Key)), kind: cr.Kind, expires: cr.Expires, quota: cr.Quota, name: name})
	}
	c.mu.Lock()
	c.entries = entries
	c.mu.Unlock()
	return nil
}

// Count returns how many credentials of kind are configured.
func (c *Credentials) Count(kind Kind) int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, e := range c.entries {
		if e.kind == kind {
			n++
		}
	}
	return n
}

// Check authenticates key as a credential of kind and, when it is valid,
// counts one call against its quota. name is the credential's log label
// (empty when unknown).
func (c *Credentials) Check(kind Kind, key string) (name string, res AuthResult) {
	if c == nil || key == "" {
		return "", AuthUnknown
	}
	d := sha256.Sum256([]byte(key))
	c.mu.RLock()
	match := -1
	for i := range c.entries {
		e := &c.entries[i]
		eq := subtle.ConstantTimeCompare(d[:], e.digest[:])
		if e.kind != kind {
			eq = 0
		}
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	var e credEntry
	if match >= 0 {
		e = c.entries[match]
	}
	c.mu.RUnlock()
	if match < 0 {
		return "", AuthUnknown
	}
	if !e.expires.IsZero() && !c.now().Before(e.expires) {
		return e.name, AuthExpired
	}
	if e.quota > 0 && c.counter(e.digest, e.kind).Add(1) > e.quota {
		return e.name, AuthQuota
	}
	return e.name, AuthOK
}

func (c *Credentials) counter(d [sha256.Size]byte, kind Kind) *atomic.Int64 {
	// The kind is folded into the key so that the same string used as a
	// token and as an API key keeps two quotas.
	k := d
	if kind == KindOkayFace {
		k[0] ^= 0xff
	}
	c.usedMu.Lock()
	defer c.usedMu.Unlock()
	n := c.used[k]
	if n == nil {
		n = new(atomic.Int64)
		c.used[k] = n
	}
	return n
}

// EnvCredentials turns comma-separated lists (FACEGATE_TOKENS for Verifik
// bearer tokens, FACEGATE_API_KEYS for OkayFace API keys) into credentials
// without expiry or quota.
func EnvCredentials(tokens, apiKeys string) []Credential {
	var out []Credential
	add := func(list string, kind Kind) {
		n := 0
		for _, k := range strings.Split(list, ",") {
			if k = strings.TrimSpace(k); k != "" {
				n++
				out = append(out, Credential{Key: k, Kind: kind, Name: fmt.Sprintf("env-%s#%d", kind, n)})
			}
		}
	}
	add(tokens, KindVerifik)
	add(apiKeys, KindOkayFace)
	return out
}

// ParseCredentials reads a credentials file in either of two formats.
//
// JSON (the file starts with '[' or '{'): an array of objects, or an object
// with a "credentials" array:
//
//	{"credentials": [
//	  {"kind": "verifik",  "key": "tok-1", "name": "acme", "expires": "2027-01-01T00:00:00Z", "quota": 10000},
//	  {"kind": "okayface", "key": "key-1"}
//	]}
//
// Text: one credential per line, "#" starts a comment, fields separated by
// spaces: KIND KEY [expires=TIME] [quota=N] [name=LABEL]
//
//	verifik  tok-1 expires=2027-01-01 quota=10000 name=acme
//	okayface key-1
//
// TIME is RFC 3339 or a date (YYYY-MM-DD, midnight UTC). Keys cannot contain
// spaces in the text format.
func ParseCredentials(data []byte) ([]Credential, error) {
	t := bytes.TrimSpace(data)
	if len(t) > 0 && (t[0] == '[' || t[0] == '{') {
		return parseCredentialsJSON(t)
	}
	return parseCredentialsText(data)
}

type credentialJSON struct {
	Kind    Kind   `json:"kind"`
	Key     string `json:"key"`
	Name    string `json:"name"`
	Expires string `json:"expires"`
	Quota   int64  `json:"quota"`
}

func parseCredentialsJSON(data []byte) ([]Credential, error) {
	var list []credentialJSON
	if data[0] == '{' {
		var wrap struct {
			Credentials []credentialJSON `json:"credentials"`
		}
		if err := json.Unmarshal(data, &wrap); err != nil {
			return nil, fmt.Errorf("json: %w", err)
		}
		list = wrap.Credentials
	} else if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	out := make([]Credential, 0, len(list))
	for i, j := range list {
		cr := Credential{Key: j.Key, Kind: j.Kind, Quota: j.Quota, Name: j.Name}
		if j.Expires != "" {
			t, err := parseExpiry(j.Expires)
			if err != nil {
				return nil, fmt.Errorf("entry %d: %w", i, err)
			}
			cr.Expires = t
		}
		if err := validCredential(cr); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		out = append(out, cr)
	}
	return out, nil
}

func parseCredentialsText(data []byte) ([]Credential, error) {
	var out []Credential
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		f := strings.Fields(s)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: want KIND KEY [expires=TIME] [quota=N] [name=LABEL]", line)
		}
		cr := Credential{Kind: Kind(f[0]), Key: f[1]}
		// Errors name fields by position, never by content: a line with
		// its fields out of order may hold the key anywhere.
		for i, opt := range f[2:] {
			k, v, ok := strings.Cut(opt, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: field %d is not name=value", line, i+3)
			}
			switch k {
			case "expires":
				t, err := parseExpiry(v)
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", line, err)
				}
				cr.Expires = t
			case "quota":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("line %d: quota %q: not an integer", line, v)
				}
				cr.Quota = n
			case "name":
				cr.Name = v
			default:
				return nil, fmt.Errorf("line %d: field %d: unknown option (want expires=, quota= or name=)", line, i+3)
			}
		}
		if err := validCredential(cr); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, cr)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func validCredential(cr Credential) error {
	switch {
	case cr.Kind != KindVerifik && cr.Kind != KindOkayFace:
		// The value is not echoed: in a text line with its fields swapped
		// it is the key.
		return fmt.Errorf("unknown kind: want %q or %q first", KindVerifik, KindOkayFace)
	case cr.Key == "":
		return errors.New("empty key")
	case cr.Quota < 0:
		return errors.New("negative quota")
	}
	return nil
}

func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("expires %q: want RFC 3339 or YYYY-MM-DD", s)
}
