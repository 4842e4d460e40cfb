#!/usr/bin/env bash
# The affine-equivalence study in one command; extra arguments go to make
# (e.g. ./run.sh MODELS="vgg resnet" or ZOO=my-models FEATURE=avgpool TRAIN_IMAGES=... TEST_IMAGES=... CLASSES=...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -C "$here" -j2 "$@"
echo "affine-equivalence: results in ${OUT:-$(cd "$here/../.." && pwd)/out/affine-equivalence}/results.md"
