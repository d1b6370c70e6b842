package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzJSONWalk checks the allocation-free walkers against encoding/json:
// for any valid JSON document, objectFields finds exactly the members (last
// occurrence wins) and raw values json.Unmarshal puts in a map, and
// arrayItems yields exactly the items json.Unmarshal puts in a slice.
func FuzzJSONWalk(f *testing.F) {
	for _, s := range []string{
		`{"probe":"a","gallery":["b", "c" ,"\"]"],"x":{"y":[1,{"z":"}"}]},"probe":"last"}`,
		` { "pr\u006fbe" : -1.5e+3 , "gallery" : [ ] , "os":null,"a":true,"b":false } `,
		`["a",1,[2,[3]],{"k":"v"},null,"\\",""]`,
		`{}`, `[]`, `null`, `"str"`, `12`, `{"":""}`, `{"a\\"b":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		// Invalid UTF-8 in a key is replaced by U+FFFD in encoding/json's
		// map but matched byte for byte by objectFields; the contracts'
		// names are ASCII, so only valid UTF-8 is compared.
		if !json.Valid(doc) || !utf8.Valid(doc) {
			return
		}
		var want map[string]json.RawMessage
		werr := json.Unmarshal(doc, &want)
		isObj := werr == nil && want != nil
		names := make([]string, 0, len(want)+1)
		for k := range want {
			names = append(names, k)
		}
		names = append(names, "absent-name")
		got, ok := objectFields(doc, names...)
		if ok != isObj {
			t.Fatalf("objectFields isObject %v, encoding/json %v (%v)", ok, isObj, werr)
		}
		if isObj {
			if len(got) != len(want) {
				t.Fatalf("objectFields found %d members, encoding/json %d", len(got), len(want))
			}
			for k, v := range want {
				if !bytes.Equal(got[k], v) {
					t.Fatalf("member %q: %q, encoding/json %q", k, got[k], v)
				}
			}
		}

		var items []json.RawMessage
		ierr := json.Unmarshal(doc, &items)
		isArr := ierr == nil && items != nil
		var walked [][]byte
		aok := arrayItems(doc, func(it []byte) bool { walked = append(walked, it); return true })
		if aok != isArr {
			t.Fatalf("arrayItems isArray %v, encoding/json %v (%v)", aok, isArr, ierr)
		}
		if isArr {
			if len(walked) != len(items) {
				t.Fatalf("arrayItems found %d items, encoding/json %d", len(walked), len(items))
			}
			for i := range items {
				if !bytes.Equal(walked[i], items[i]) {
					t.Fatalf("item %d: %q, encoding/json %q", i, walked[i], items[i])
				}
			}
			// Stopping early stops.
			n := 0
			arrayItems(doc, func([]byte) bool { n++; return false })
			if len(items) > 0 && n != 1 {
				t.Fatalf("arrayItems went on after fn returned false: %d calls", n)
			}
		}
	})
}
