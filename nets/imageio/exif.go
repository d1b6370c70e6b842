package imageio

import (
	"bytes"
	"encoding/binary"
)

// EXIF orientation lookup. Only IFD0 tag 0x0112 is read; every offset is
// bounds-checked, and anything malformed simply means "no orientation"
// (0), because a broken EXIF block must not make a decodable photo fail.

const tagOrientation = 0x0112

// exifOrientation reads the orientation from a TIFF structure (the body of
// an EXIF block). It accepts an optional "Exif\0\0" prefix, which some
// writers put in PNG eXIf and WebP EXIF chunks too. It returns 1..8, or 0
// when there is none or it is invalid.
func exifOrientation(b []byte) int {
	b = bytes.TrimPrefix(b, []byte("Exif\x00\x00"))
	if len(b) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := uint64(bo.Uint32(b[4:8]))
	if ifd+2 > uint64(len(b)) {
		return 0
	}
	n := uint64(bo.Uint16(b[ifd:]))
	// Read the entries that fit; a truncated directory still yields the
	// ones before the cut.
	n = min(n, (uint64(len(b))-ifd-2)/12)
	for i := range n {
		e := b[ifd+2+12*i:][:12]
		if bo.Uint16(e) != tagOrientation {
			continue
		}
		typ, count := bo.Uint16(e[2:]), bo.Uint32(e[4:])
		if count != 1 {
			return 0
		}
		var v uint32
		switch typ {
		case 3: // SHORT, left-justified in the value field
			v = uint32(bo.Uint16(e[8:]))
		case 4: // LONG, written by a few tools
			v = bo.Uint32(e[8:])
		default:
			return 0
		}
		if v < 1 || v > 8 {
			return 0
		}
		return int(v)
	}
	return 0
}

// jpegOrientation finds the first APP1 "Exif" segment before the first scan
// and returns its orientation (0 when none).
func jpegOrientation(data []byte) int {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return 0
	}
	i := 2
	for {
		// Markers may be preceded by any number of 0xFF fill bytes.
		start := i
		for i < len(data) && data[i] == 0xFF {
			i++
		}
		if i == start || i >= len(data) {
			return 0
		}
		marker := data[i]
		i++
		switch {
		case marker == 0xD8, marker >= 0xD0 && marker <= 0xD7, marker == 0x01:
			continue // no length field
		case marker == 0xDA, marker == 0xD9:
			return 0 // start of scan or end of image: no EXIF before it
		}
		if i+2 > len(data) {
			return 0
		}
		n := int(data[i])<<8 | int(data[i+1])
		if n < 2 || i+n > len(data) {
			return 0
		}
		seg := data[i+2 : i+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return exifOrientation(seg)
		}
		i += n
	}
}

// maxJPEGScans bounds the number of scans in a JPEG. A progressive JPEG
// normally has about ten; each scan is a pass over the whole coefficient
// buffer, so thousands of tiny scans make a few-megabyte file cost minutes
// of CPU (libjpeg-turbo's fuzzers cap scans for the same reason).
const maxJPEGScans = 100

// jpegScans counts the SOS markers in a JPEG, skipping entropy-coded data.
// It stops counting once maxJPEGScans is exceeded.
func jpegScans(data []byte) int {
	scans := 0
	i := 2
	for i < len(data) && scans <= maxJPEGScans {
		j := bytes.IndexByte(data[i:], 0xFF)
		if j < 0 {
			break
		}
		i += j
		for i < len(data) && data[i] == 0xFF {
			i++
		}
		if i >= len(data) {
			break
		}
		marker := data[i]
		i++
		switch {
		case marker == 0x00, marker >= 0xD0 && marker <= 0xD8, marker == 0x01:
			// Stuffed 0xFF inside entropy data, restart marker, SOI, TEM.
			continue
		case marker == 0xD9:
			return scans
		}
		if i+2 > len(data) {
			break
		}
		n := int(data[i])<<8 | int(data[i+1])
		if marker == 0xDA {
			scans++
		}
		// Skip the segment; the entropy-coded data after an SOS header is
		// searched for the next marker by the loop.
		i += max(n, 2)
	}
	return scans
}

// pngOrientation finds an eXIf chunk and returns its orientation (0 when
// none). Chunk CRCs are not checked here; the PNG decoder checks the
// critical ones.
func pngOrientation(data []byte) int {
	i := 8
	for i+8 <= len(data) {
		n := uint64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		start := uint64(i) + 8
		if start+n > uint64(len(data)) {
			return 0
		}
		if typ == "eXIf" {
			return exifOrientation(data[start : start+n])
		}
		if typ == "IEND" {
			return 0
		}
		i = int(start + n + 4) // data, CRC
	}
	return 0
}

// webpOrientation finds the EXIF chunk of a RIFF WebP file and returns its
// orientation (0 when none).
func webpOrientation(data []byte) int {
	if len(data) < 12 {
		return 0
	}
	end := uint64(binary.LittleEndian.Uint32(data[4:])) + 8
	end = min(end, uint64(len(data)))
	i := uint64(12)
	for i+8 <= end {
		typ := string(data[i : i+4])
		n := uint64(binary.LittleEndian.Uint32(data[i+4:]))
		start := i + 8
		if start+n > end {
			return 0
		}
		if typ == "EXIF" {
			return exifOrientation(data[start : start+n])
		}
		i = start + n + n&1 // chunks are padded to an even size
	}
	return 0
}
