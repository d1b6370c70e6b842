package weights

import "fmt"

// Load reads and validates the model file at path; see Read. On 64-bit unix
// hosts the file is memory-mapped (private, copy-on-write) rather than read,
// so processes loading the same model share its pages; the mapping then
// lives as long as the process, since the returned tensors alias it. Models
// are meant to be loaded once at start-up. Files are replaced only by
// rename (Save does this), never rewritten in place, so a mapping never sees
// a file change under it.
func Load(path string) (*Model, error) {
	data, release, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	m, err := read(data)
	if err != nil {
		release()
		return nil, fmt.Errorf("weights: %s: %w", path, err)
	}
	return m, nil
}
