#!/usr/bin/env bash
# Installs the Debian packages named in deploy/debian-packages.txt that are not installed yet.
# Idempotent: a machine that has everything runs no apt command at all.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mapfile -t wanted < <(grep -Ev '^\s*(#|$)' "$root/deploy/debian-packages.txt")
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#wanted[@]} Debian packages present"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# mariadb-server must not start a system service from the package's post-install on machines without systemd.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
