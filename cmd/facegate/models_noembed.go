//go:build !embedmodels

package main

import "io/fs"

// embeddedModels returns nil: this binary was built without -tags
// embedmodels and reads its models from a directory.
func embeddedModels() fs.FS { return nil }
