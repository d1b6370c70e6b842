package api

import _ "embed"

// openapiJSON is the OpenAPI 3.1 description of both contracts, served at
// /openapi.json; openapi_test.go validates real responses against it.
//
//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the OpenAPI 3.1 document served at /openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openapiJSON...) }
