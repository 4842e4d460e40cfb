#!/usr/bin/env bash
# The multi-faceted-neuron study in one command; extra arguments go to make
# (e.g. ./run.sh MODEL=my.onnx LAYERS="layer3 layer4" IMAGES=val/ CLASSES= PRESET=imagenet).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -C "$here" -j2 "$@"
echo "multifaceted-neurons: results in ${OUT:-$(cd "$here/../.." && pwd)/out/multifaceted-neurons}/results.md"
