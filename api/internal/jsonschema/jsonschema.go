// Package jsonschema validates JSON values against the subset of JSON
// Schema 2020-12 that facegate's OpenAPI 3.1 document is written in, so
// tests can check real responses against the published description.
package jsonschema

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Validator checks JSON values against the subset of JSON Schema
// (2020-12, as OpenAPI 3.1 uses it) that openapi.json is written in: $ref
// to #/components/schemas, type (one or a list), required, properties,
// additionalProperties: false, enum, items, minItems/maxItems, minLength,
// minimum/maximum, pattern and anyOf. A keyword it does not know fails the
// validation, so the document cannot silently use more than is checked.
type Validator struct {
	Doc map[string]any // the OpenAPI document; $ref resolves in it
}

var knownKeywords = map[string]bool{
	"$ref": true, "type": true, "required": true, "properties": true, "additionalProperties": true,
	"enum": true, "items": true, "minItems": true, "maxItems": true, "minLength": true,
	"minimum": true, "maximum": true, "pattern": true, "anyOf": true,
	// annotations
	"description": true, "default": true, "format": true,
}

// Validate returns one message per violation of schema by x (decoded with
// encoding/json into any); path names x in the messages.
func (v *Validator) Validate(schema map[string]any, x any, path string) []string {
	var errs []string
	fail := func(format string, a ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, a...)) }
	for k := range schema {
		if !knownKeywords[k] {
			fail("schema keyword %q not supported by the test validator", k)
		}
	}
	if ref, ok := schema["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/components/schemas/")
		target, _ := v.Doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
		if !found || target == nil {
			fail("unresolved $ref %q", ref)
			return errs
		}
		errs = append(errs, v.Validate(target, x, path)...)
	}
	if anyOf, ok := schema["anyOf"].([]any); ok {
		var all []string
		matched := false
		for _, s := range anyOf {
			e := v.Validate(s.(map[string]any), x, path)
			if len(e) == 0 {
				matched = true
				break
			}
			all = append(all, e...)
		}
		if !matched {
			fail("matches no anyOf alternative: %s", strings.Join(all, "; "))
		}
	}
	if t, ok := schema["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, s := range t {
				types = append(types, s.(string))
			}
		}
		okType := false
		for _, t := range types {
			okType = okType || hasType(x, t)
		}
		if !okType {
			fail("%s is not of type %v", brief(x), types)
			return errs
		}
	}
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || e == x
		}
		if !found {
			fail("%s not in enum %v", brief(x), enum)
		}
	}
	switch x := x.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				if _, ok := x[r.(string)]; !ok {
					fail("missing required %q", r)
				}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, v.Validate(ps, x[k], path+"."+k)...)
			} else if schema["additionalProperties"] == false {
				fail("property %q not allowed", k)
			}
		}
	case []any:
		if n, ok := schema["minItems"].(float64); ok && float64(len(x)) < n {
			fail("%d items, minimum %v", len(x), n)
		}
		if n, ok := schema["maxItems"].(float64); ok && float64(len(x)) > n {
			fail("%d items, maximum %v", len(x), n)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range x {
				errs = append(errs, v.Validate(items, it, path+"["+strconv.Itoa(i)+"]")...)
			}
		}
	case float64:
		if m, ok := schema["minimum"].(float64); ok && x < m {
			fail("%v < minimum %v", x, m)
		}
		if m, ok := schema["maximum"].(float64); ok && x > m {
			fail("%v > maximum %v", x, m)
		}
	case string:
		if n, ok := schema["minLength"].(float64); ok && float64(utf8.RuneCountInString(x)) < n {
			fail("string shorter than %v", n)
		}
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			fail("%q does not match %s", x, p)
		}
	}
	return errs
}

func hasType(x any, t string) bool {
	switch t {
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	case "string":
		_, ok := x.(string)
		return ok
	case "number":
		_, ok := x.(float64)
		return ok
	case "integer":
		f, ok := x.(float64)
		return ok && f == math.Trunc(f)
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "null":
		return x == nil
	}
	return false
}

func brief(x any) string {
	b, _ := json.Marshal(x)
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}

// ResponseSchema returns the JSON schema documented for a status of an
// operation (method in lower case, as in OpenAPI), or nil.
func (v *Validator) ResponseSchema(path, method string, status int) map[string]any {
	op, _ := v.Doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	resp, _ := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	schema, _ := resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	return schema
}

// New parses an OpenAPI document.
func New(doc []byte) (*Validator, error) {
	v := &Validator{}
	if err := json.Unmarshal(doc, &v.Doc); err != nil {
		return nil, fmt.Errorf("jsonschema: %w", err)
	}
	return v, nil
}
