#!/usr/bin/env bash
# The multi-faceted-neuron study in one command; extra arguments go to make
# (e.g. ./run.sh MODEL=my.onnx LAYERS="layer3 layer4" IMAGES=val/ PRESET=imagenet OUT=out/mine).
# Make runs in the current folder, so relative paths are relative to where you are.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -f "$here/Makefile" -j2 "$@"
