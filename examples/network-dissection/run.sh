#!/usr/bin/env bash
# The Network Dissection study in one command; extra arguments go to make
# (e.g. ./run.sh PROBE=broden1_224 RESNET=resnet18.onnx RESNET_LAYERS=layer4).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -C "$here" -j2 "$@"
echo "network-dissection: results in ${OUT:-$(cd "$here/../.." && pwd)/out/network-dissection}/results.md"
