//go:build embedmodels

package main

import (
	"embed"
	"io/fs"
)

// The converted default networks, compiled into the binary with
// `-tags embedmodels` so a gateway needs nothing beside it. Produce them
// first with cmd/facegate/embed-models.sh.
//
//go:embed models/*.fgw
var embedded embed.FS

// embeddedModels returns the models compiled into the binary.
func embeddedModels() fs.FS {
	sub, err := fs.Sub(embedded, "models")
	if err != nil {
		return nil
	}
	return sub
}
