#!/bin/sh
# Rebuilds the embedded data sets (see data/README.md) with `i2i data prepare`:
#   fashion  data/fashion-shoes and data/fashion-labels from Debian's dataset-fashion-mnist
#            (apt-get install dataset-fashion-mnist)
#   brain    data/brain from the MNI152 template files in the PyPI nilearn 0.14.1 wheel (fetched with pip download;
#            NILEARN_WHEEL=path/to/nilearn-0.14.1-py3-none-any.whl to use a wheel already on disk)
# Usage: scripts/make-embedded-data.sh [fashion|brain|all]   (default all; I2I=path/to/i2i to use an existing binary)
set -eu
cd "$(dirname "$0")/.."
BIN=${I2I:-.build/release/i2i}
WHICH=${1:-all}
case "$WHICH" in fashion|brain|all) ;; *) echo "usage: $0 [fashion|brain|all]" >&2; exit 2 ;; esac
[ -x "$BIN" ] || swift build -c release --product i2i

if [ "$WHICH" != brain ]; then
  rm -rf data/fashion-shoes
  "$BIN" data prepare fashion --out data/fashion-shoes --class-a sneaker --class-b ankle-boot --size 32 \
    --train-limit 400 --test-limit 100
  rm -rf data/fashion-labels
  "$BIN" data prepare fashion-labels --out data/fashion-labels --size 32 --train-limit 50 --test-limit 10
fi

if [ "$WHICH" != fashion ]; then
  WHEEL=${NILEARN_WHEEL:-}
  if [ -z "$WHEEL" ]; then
    DOWNLOADS=$(mktemp -d)
    trap 'rm -rf "$DOWNLOADS"' EXIT
    python3 -m pip download nilearn==0.14.1 --no-deps --quiet -d "$DOWNLOADS"
    WHEEL="$DOWNLOADS/nilearn-0.14.1-py3-none-any.whl"
  fi
  # i2i reads the three .nii.gz files straight out of the wheel (a zip); no Python needed past the download.
  rm -rf data/brain
  "$BIN" data prepare brain --from "$WHEEL" --out data/brain --size 64
fi
