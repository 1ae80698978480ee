#!/usr/bin/env bash
# Download, where pip reaches a registry, the wheels scripts/gpu_check.sh installs on the offline GPU machine
# (python 3.12, x86-64 Linux) into .whl/ (git-ignored; about 50 MB: carry it with the tree, limit 64 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
PLATFORMS=()
for tag in manylinux_2_34 manylinux_2_31 manylinux_2_28 manylinux_2_27 manylinux_2_24 manylinux_2_17 manylinux2014 manylinux1; do
  PLATFORMS+=(--platform "${tag}_x86_64")
done
mkdir -p .whl
sed 's/#.*//' scripts/gpu-wheels.txt | grep -vE '^\s*$' | while read -r spec; do
  "${PYTHON:-python3}" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${PLATFORMS[@]}" -d .whl "$spec"
done
du -sh .whl
