#!/usr/bin/env bash
# Converts the default networks into cmd/facegate/models/, where
# `go build -tags embedmodels ./cmd/facegate` compiles them into the binary.
#
#   cmd/facegate/embed-models.sh [SHARED_MODELS_DIR]
#   CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags embedmodels -o facegate-arm64 ./cmd/facegate
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
src=${1:-${FACEGATE_MODELS:-$root/../shared/models}}
out=$root/cmd/facegate/models
mkdir -p "$out"
cd "$root"
go build -o "$out/.facegate-convert" ./cmd/facegate
for m in face_detection_yunet_2023mar_dynamic mobilefacenet128_paddle 2.7_80x80_MiniFASNetV2 4_0_0_80x80_MiniFASNetV1SE; do
	"$out/.facegate-convert" convert "$src/$m.onnx" "$out/$m.fgw"
done
rm -f "$out/.facegate-convert"
ls -l "$out"
