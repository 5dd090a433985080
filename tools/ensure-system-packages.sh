#!/usr/bin/env bash
# Install the Debian packages of tools/system-packages.txt whose probe fails.
set -euo pipefail
list="$(dirname "$0")/system-packages.txt"
missing=()
while read -r package probe; do
  [[ -z "$package" || "$package" == \#* ]] && continue
  bash -c "$probe" >/dev/null 2>&1 || missing+=("$package")
done < "$list"
((${#missing[@]})) || exit 0
echo "Installing Debian packages: ${missing[*]}"
sudo=""
[[ "$(id -u)" == 0 ]] || sudo=sudo
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
