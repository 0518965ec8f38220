#!/usr/bin/env bash
# Installs the Debian packages cnnviz needs, only those missing; prints how-to when not root.
set -euo pipefail
# fonts-nanum: Hangul for the Korean interface in Chromium and in charts saved as PNG (10 MB)
# nginx-light: the proxy of `make serve-class` (run as the user, from a prefix of its own)
pkgs=(dataset-fashion-mnist chromium chromium-driver fonts-dejavu-core fonts-nanum nginx-light)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else
  echo "cnnviz: missing Debian packages: ${missing[*]}"
  echo "        install them with: sudo apt-get install ${missing[*]}"
  echo "        (the app still runs; without dataset-fashion-mnist it shows how to get the data)"
  exit 0
fi
echo "cnnviz: installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
