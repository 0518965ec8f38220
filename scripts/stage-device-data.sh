#!/usr/bin/env bash
# Copy Fashion-MNIST into .device/ (git-ignored) so a GPU machine, which has no Debian package
# and no network, can read it: name ".device" in the device run's carry (about 30 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
src=${CNNVIZ_SYSTEM_DATA:-/usr/share/datasets/fashion-mnist}
mkdir -p .device/fashion-mnist
cp "$src"/*-ubyte.gz .device/fashion-mnist/
ls -la .device/fashion-mnist
