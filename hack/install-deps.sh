#!/usr/bin/env bash
# Installs, when missing, the Debian packages pacer's test suite runs for
# real: prometheus (with promtool), etcd-server (etcd 3.4, the store of the
# kube-apiserver that hack/kube-binaries.sh builds) and chromium (the
# headless browser the report and dashboard are checked in). Safe to run again:
# it installs nothing that is already there.
set -euo pipefail

need=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install ${need[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install-deps: installing ${need[*]} with apt-get" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The packages enable systemd services; tests start their own instances.
command -v prometheus promtool etcd chromium >/dev/null
