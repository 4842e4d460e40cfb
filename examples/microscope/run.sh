#!/usr/bin/env bash
# The microscope study in one command; extra arguments go to make
# (e.g. ./run.sh DREAM_STEPS=512 DREAM_SIZE=128 K=100 for dream's full recipe).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -C "$here" -j2 "$@"
echo "microscope: results in ${OUT:-$(cd "$here/../.." && pwd)/out/microscope}/results.md"
