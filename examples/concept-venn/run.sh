#!/usr/bin/env bash
# The concept-comparison study in one command; extra arguments go to make
# (e.g. ./run.sh A=imagenet-descriptions.csv B=places-descriptions.csv NAMES=imagenet,places).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -C "$here" -j2 "$@"
echo "concept-venn: results in ${OUT:-$(cd "$here/../.." && pwd)/out/concept-venn}/results.md"
