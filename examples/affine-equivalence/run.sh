#!/usr/bin/env bash
# The affine-equivalence study in one command; extra arguments go to make
# (e.g. ./run.sh MODELS="vgg resnet" or ZOO=my-models FEATURE=avgpool TRAIN_IMAGES=... TEST_IMAGES=... CLASSES=...).
# Make runs in the current folder, so relative paths are relative to where you are.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -f "$here/Makefile" -j2 "$@"
