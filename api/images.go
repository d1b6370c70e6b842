package api

import (
	"errors"

	"github.com/facegate/facegate/nets/imageio"
)

// errTooLarge is a body, part or image over its byte limit.
var errTooLarge = errors.New("too large")

// decodeBase64 decodes an image field (plain base64 or a data URI; see
// imageio.DecodeBase64), mapping an oversized image to errTooLarge and
// anything else to errNotBase64.
func decodeBase64(s string, maxBytes int) ([]byte, error) {
	b, err := imageio.DecodeBase64(s, maxBytes)
	switch {
	case errors.Is(err, imageio.ErrTooLarge):
		return nil, errTooLarge
	case err != nil:
		return nil, errNotBase64
	}
	return b, nil
}

var errNotBase64 = errors.New("not base64")

// isJPEGOrPNG reports whether data is a JPEG or PNG by its magic bytes: the
// only formats the OkayFace contract accepts.
func isJPEGOrPNG(data []byte) bool {
	f := imageio.Sniff(data)
	return f == "jpeg" || f == "png"
}
