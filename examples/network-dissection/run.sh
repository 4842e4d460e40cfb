#!/usr/bin/env bash
# The Network Dissection study in one command; extra arguments go to make
# (e.g. ./run.sh PROBE=broden1_224 RESNET=resnet18.onnx RESNET_LAYERS=layer4).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Make runs in the current folder, so relative paths are relative to where you are.
make -s -f "$here/Makefile" -j2 "$@"
