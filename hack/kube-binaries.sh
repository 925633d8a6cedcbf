#!/usr/bin/env bash
# Builds, when missing, the real Kubernetes control plane the integration
# suite runs: kube-apiserver, kube-controller-manager and kubectl, from the
# k8s.io/kubernetes module pinned in hack/kubetools. They go into a cache
# outside the repo, ${PACER_CACHE:-$HOME/.cache/pacer}/kube/<version>/, and
# this script prints that directory. A cold build takes a long while (tens
# of minutes on 2 cores); afterwards it only checks the binaries.
#
# Concurrent callers take a lock, so only one of them builds; binaries are
# built into a temporary directory and renamed into place, so the cache
# never holds a half-written one.
set -euo pipefail

KUBE_VERSION=v1.37.2
GO=${GO:-go}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PACER_CACHE:-$HOME/.cache/pacer}/kube
dir=$cache/$KUBE_VERSION
binaries=(kube-apiserver kube-controller-manager kubectl)

# version_of prints what a binary says its version is.
version_of() {
  case "$1" in
    kubectl) "$2" version --client 2>/dev/null ;;
    *) "$2" --version 2>/dev/null ;;
  esac
}

# complete succeeds when every binary in $1 runs and reports KUBE_VERSION.
complete() {
  local b
  for b in "${binaries[@]}"; do
    [ -x "$1/$b" ] || return 1
    version_of "$b" "$1/$b" | grep -qF "$KUBE_VERSION" || return 1
  done
}

if complete "$dir"; then
  echo "$dir"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/$KUBE_VERSION.lock"
if ! flock -n 9; then
  echo "kube-binaries: another build of $KUBE_VERSION is running; waiting for it" >&2
  flock 9
fi
# Whoever held the lock may have built them meanwhile.
if complete "$dir"; then
  echo "$dir"
  exit 0
fi

tmp=$(mktemp -d "$cache/.build-$KUBE_VERSION.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

major=${KUBE_VERSION#v}
major=${major%%.*}
minor=${KUBE_VERSION#v*.}
minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

echo "kube-binaries: building ${binaries[*]} $KUBE_VERSION into $dir (a cold build takes a long while)" >&2
start=$(date +%s)
# The tags are the ones Kubernetes' own build uses; CGO off gives static
# binaries, as Kubernetes releases kube-apiserver.
(
  cd "$root/hack/kubetools"
  CGO_ENABLED=0 "$GO" build -trimpath -tags selinux,notest,grpcnotrace \
    -ldflags "$ldflags" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl 9>&- # the lock is this script's, not the compilers'
)
complete "$tmp" || { echo "kube-binaries: the built binaries do not report $KUBE_VERSION" >&2; exit 1; }

mkdir -p "$dir"
for b in "${binaries[@]}"; do
  mv -f "$tmp/$b" "$dir/$b"
done
echo "kube-binaries: built in $(($(date +%s) - start))s" >&2
echo "$dir"
