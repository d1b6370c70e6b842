package api

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseCredentials(t *testing.T) {
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	want := []Credential{
		{Kind: KindVerifik, Key: "tok-1", Expires: exp, Quota: 100, Name: "acme"},
		{Kind: KindOkayFace, Key: "key-1"},
	}
	for name, text := range map[string]string{
		"text": "# comment\n\nverifik tok-1 expires=2027-01-01 quota=100 name=acme  # trailing\n  okayface   key-1\n",
		"json object": `{"credentials":[{"kind":"verifik","key":"tok-1","expires":"2027-01-01T00:00:00Z","quota":100,"name":"acme"},
			{"kind":"okayface","key":"key-1"}]}`,
		"json array": `[{"kind":"verifik","key":"tok-1","expires":"2027-01-01","quota":100,"name":"acme"},{"kind":"okayface","key":"key-1"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseCredentials([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d credentials, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].Kind != want[i].Kind || got[i].Key != want[i].Key || !got[i].Expires.Equal(want[i].Expires) ||
					got[i].Quota != want[i].Quota || got[i].Name != want[i].Name {
					t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestParseCredentialsErrors(t *testing.T) {
	for _, text := range []string{
		"verifik",                       // no key
		"admin tok",                     // unknown kind
		"verifik tok quota=-1",          // negative quota
		"verifik tok quota=x",           // not a number
		"verifik tok expires=tomorrow",  // bad time
		"verifik tok colour=blue",       // unknown option
		"verifik tok quota",             // not name=value
		`[{"kind":"verifik","key":""}]`, // empty key
		`[{"kind":"other","key":"k"}]`,  // unknown kind
		`{"credentials":[{"kind":1}]}`,  // wrong type
		`[{"kind":"verifik","key":"k"}`, // truncated
		`[{"kind":"okayface","key":"k","expires":"soon"}]`,
	} {
		if _, err := ParseCredentials([]byte(text)); err == nil {
			t.Errorf("%q: no error", text)
		} else if strings.Contains(err.Error(), " tok ") {
			t.Errorf("%q: error %q quotes the key", text, err)
		}
	}
}

func TestCredentialsCheck(t *testing.T) {
	c := testCredentials(t)
	for _, tc := range []struct {
		kind Kind
		key  string
		want AuthResult
	}{
		{KindVerifik, tokGood, AuthOK},
		{KindVerifik, tokGood + "x", AuthUnknown},
		{KindVerifik, "", AuthUnknown},
		{KindOkayFace, tokGood, AuthUnknown},
		{KindVerifik, tokExpired, AuthExpired},
		{KindOkayFace, keyGood, AuthOK},
		{KindOkayFace, keyExpired, AuthExpired},
	} {
		if _, got := c.Check(tc.kind, tc.key); got != tc.want {
			t.Errorf("Check(%s, %q) = %v, want %v", tc.kind, tc.key, got, tc.want)
		}
	}
	if name, _ := c.Check(KindVerifik, tokGood); name != "good" {
		t.Errorf("name %q", name)
	}
	if c.Count(KindVerifik) != 3 || c.Count(KindOkayFace) != 3 {
		t.Errorf("counts %d %d", c.Count(KindVerifik), c.Count(KindOkayFace))
	}
	var nilStore *Credentials
	if _, r := nilStore.Check(KindVerifik, tokGood); r != AuthUnknown {
		t.Error("nil store accepted a key")
	}
}

// TestCredentialsQuotaConcurrent: exactly quota calls pass however many
// goroutines race for them.
func TestCredentialsQuotaConcurrent(t *testing.T) {
	c, err := NewCredentials("", []Credential{{Key: "k", Kind: KindOkayFace, Quota: 50}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, r := c.Check(KindOkayFace, "k"); r == AuthOK {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if ok != 50 {
		t.Errorf("%d calls passed, quota 50", ok)
	}
}

func TestCredentialsReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds.txt")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("verifik old quota=2\n")
	c, err := NewCredentials(path, EnvCredentials("env-tok", ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, r := c.Check(KindVerifik, "old"); r != AuthOK {
		t.Fatal("file credential rejected")
	}
	write("verifik new\nverifik old quota=2\n")
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, r := c.Check(KindVerifik, "new"); r != AuthOK {
		t.Error("new credential rejected after reload")
	}
	if _, r := c.Check(KindVerifik, "env-tok"); r != AuthOK {
		t.Error("environment credential lost on reload")
	}
	// The quota count survived the reload: the third call is refused.
	if _, r := c.Check(KindVerifik, "old"); r != AuthOK {
		t.Error("second call refused")
	}
	if _, r := c.Check(KindVerifik, "old"); r != AuthQuota {
		t.Error("quota reset by reload")
	}
	// A broken file keeps the previous set.
	write("verifik\n")
	if err := c.Reload(); err == nil {
		t.Error("broken file accepted")
	}
	if _, r := c.Check(KindVerifik, "new"); r != AuthOK {
		t.Error("previous set dropped after a failed reload")
	}
	write("okayface other\n")
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, r := c.Check(KindVerifik, "new"); r != AuthUnknown {
		t.Error("removed credential still accepted")
	}
	if _, err := NewCredentials(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("missing file accepted")
	}
}

func TestEnvCredentials(t *testing.T) {
	got := EnvCredentials(" a, b ,,", "c")
	if len(got) != 3 || got[0].Key != "a" || got[1].Key != "b" || got[1].Kind != KindVerifik || got[2].Key != "c" || got[2].Kind != KindOkayFace {
		t.Errorf("%+v", got)
	}
}
