#!/usr/bin/env bash
# The concept-comparison study in one command; extra arguments go to make
# (e.g. ./run.sh A=imagenet-descriptions.csv B=places-descriptions.csv NAMES=imagenet,places).
# Make runs in the current folder, so relative paths are relative to where you are.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -f "$here/Makefile" -j2 "$@"
