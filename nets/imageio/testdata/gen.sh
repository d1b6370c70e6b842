#!/bin/sh
# Regenerates the encoded test images in this directory, and the reference
# decodes made by independent decoders (libjpeg-turbo's djpeg, libwebp's
# dwebp, ImageMagick), which decode_test.go compares against.
# Needs (Debian): imagemagick libjpeg-turbo-progs webp.
set -eu
cd "$(dirname "$0")"
# A small, odd-sized, colourful image with smooth gradients and a hard edge.
convert -size 37x23 gradient:red-blue \( -size 23x37 gradient:yellow-black -rotate 90 \) \
	-compose multiply -composite -fill white -draw 'rectangle 5,4 12,9' -depth 8 PNG24:src.ppm.png
convert src.ppm.png -depth 8 src.ppm
for s in 1x1 2x1 2x2 1x2; do
	cjpeg -quality 92 -sample "$s" -outfile "s$s.jpg" src.ppm
	djpeg -ppm -outfile "s$s.jpg.ppm" "s$s.jpg"
done
cjpeg -quality 92 -sample 2x2 -progressive -outfile prog.jpg src.ppm
djpeg -ppm -outfile prog.jpg.ppm prog.jpg
# Adobe CMYK JPEG (stored inverted, APP14 transform 0).
convert src.ppm -colorspace CMYK -quality 92 cmyk.jpg
convert cmyk.jpg -colorspace sRGB -depth 8 cmyk.jpg.ppm
cwebp -quiet -lossless src.ppm.png -o lossless.webp
cwebp -quiet -q 90 src.ppm.png -o lossy.webp
dwebp -quiet lossy.webp -ppm -o lossy.webp.ppm
# Lossy with an alpha channel (VP8X + ALPH): left half transparent.
convert src.ppm.png -alpha set -channel A -fx 'i<w/2?0:1' +channel PNG32:alpha.png
cwebp -quiet -q 90 -exact alpha.png -o alpha.webp
rm alpha.png src.ppm.png
