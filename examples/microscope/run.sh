#!/usr/bin/env bash
# The microscope study in one command; extra arguments go to make
# (e.g. ./run.sh DREAM_STEPS=512 DREAM_SIZE=128 K=100 for dream's full recipe, OUT=out/full).
# Make runs in the current folder, so relative paths are relative to where you are.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -f "$here/Makefile" -j2 "$@"
