#!/bin/sh
# Rebuilds data/fashion-shoes (see data/README.md) from Debian's dataset-fashion-mnist with `i2i data prepare`.
# Usage: scripts/make-embedded-data.sh   (I2I=path/to/i2i to use an existing binary)
set -eu
cd "$(dirname "$0")/.."
BIN=${I2I:-.build/release/i2i}
[ -x "$BIN" ] || swift build -c release --product i2i
rm -rf data/fashion-shoes
"$BIN" data prepare fashion --out data/fashion-shoes --class-a sneaker --class-b ankle-boot --size 32 \
  --train-limit 400 --test-limit 100
