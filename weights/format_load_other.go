//go:build !unix

package weights

import "os"

// readFile reads path whole; release is a no-op.
func readFile(path string) (data []byte, release func(), err error) {
	data, err = os.ReadFile(path)
	return data, func() {}, err
}
