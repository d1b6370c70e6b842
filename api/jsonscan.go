package api

import (
	"bytes"
	"encoding/json"
)

// Allocation-free walking of already validated JSON.
//
// Unmarshalling a request body into map[string]json.RawMessage or an
// array into []json.RawMessage costs memory per member: a 24 MiB body of
// tiny members ("a":1, or "x", repeated) made one request hold 340 MiB
// (six million map entries) and 726 MiB (six million gallery items), and
// the parse runs before the concurrency limit. These helpers walk the
// bytes instead and keep only the members the contracts read, so a body
// costs its own size. Each one requires json.Valid(doc) to have held for
// the document the input comes from.

// objectFields returns the raw values of the named members of the JSON
// object doc (the last occurrence wins, as with json.Unmarshal into a
// map); isObject is false when doc is not an object (null included).
func objectFields(doc []byte, names ...string) (fields map[string]json.RawMessage, isObject bool) {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return nil, false
	}
	fields = make(map[string]json.RawMessage, len(names))
	i++
	for {
		i = skipSpace(doc, i)
		if doc[i] == '}' {
			return fields, true
		}
		kEnd := skipString(doc, i)
		key := doc[i:kEnd]
		i = skipSpace(doc, kEnd) + 1 // past ':'
		i = skipSpace(doc, i)
		vEnd := skipValue(doc, i)
		if name, ok := matchName(key, names); ok {
			fields[name] = doc[i:vEnd:vEnd]
		}
		i = skipSpace(doc, vEnd)
		if doc[i] == ',' {
			i++
		}
	}
}

// matchName reports which of names the quoted JSON string key equals.
func matchName(key []byte, names []string) (string, bool) {
	inner := key[1 : len(key)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		var s string
		if json.Unmarshal(key, &s) != nil {
			return "", false
		}
		inner = []byte(s)
	}
	for _, n := range names {
		if string(inner) == n {
			return n, true
		}
	}
	return "", false
}

// arrayItems calls fn with each item of the JSON array arr, in order,
// until fn returns false; isArray is false when arr is not an array.
func arrayItems(arr []byte, fn func(item []byte) bool) (isArray bool) {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return false
	}
	i++
	for {
		i = skipSpace(arr, i)
		if arr[i] == ']' {
			return true
		}
		end := skipValue(arr, i)
		if !fn(arr[i:end:end]) {
			return true
		}
		i = skipSpace(arr, end)
		if arr[i] == ',' {
			i++
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] ('"').
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	// number, true, false, null
	for i < len(b) && !(b[i] == ',' || b[i] == '}' || b[i] == ']' || b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
