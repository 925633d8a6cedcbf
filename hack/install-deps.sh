#!/usr/bin/env bash
# Installs, when missing, the Debian packages pacer's test suite runs for
# real: prometheus (with promtool). Safe to run again: it installs nothing
# that is already there.
set -euo pipefail

need=()
for cmd in prometheus promtool; do
  command -v "$cmd" >/dev/null 2>&1 || need+=(prometheus)
done
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install ${need[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install-deps: installing ${need[*]} with apt-get" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The package enables a systemd service; tests start their own instances.
command -v prometheus promtool >/dev/null
