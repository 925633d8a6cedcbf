#!/usr/bin/env bash
# Runs govulncheck on pacer's module against a pinned, local copy of the Go
# vulnerability database, so `make lint` gives the same answer on every
# machine and needs no network beyond the Go module proxy.
#
# Why a local database: the public one (vuln.go.dev) is a web service that a
# build machine may not reach, and a gate that reads a moving database fails
# a commit that changed nothing. The database's source is published as a Go
# module, golang.org/x/vulndb: its data/osv holds every report as OSV JSON,
# and its cmd/indexdb turns that folder into the layout govulncheck reads
# with -db file:// (index/db.json, index/modules.json, ID/<id>.json). Bump
# VULNDB_VERSION to take newer reports.
#
# What it caches, outside the repo under ${PACER_CACHE:-$HOME/.cache/pacer}:
#   tools/govulncheck-<version>/govulncheck   the scanner
#   tools/indexdb-<vulndb version>/indexdb    the database builder
#   vulndb-<vulndb version>/                  the database, built once
#
# Usage: hack/govulncheck.sh [govulncheck flags...]
#   e.g. hack/govulncheck.sh -show verbose
# GOVULNDB=https://vuln.go.dev (or any URL govulncheck takes) scans against
# that database instead of the pinned one. GO names the go command; its
# standard library is the one scanned, so run this with the toolchain that
# builds the release.
#
# Exit status: govulncheck's: 0 clean, 3 when the code calls a vulnerable
# function; anything else is a failure to scan.
set -euo pipefail

GOVULNCHECK_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GO=${GO:-go}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PACER_CACHE:-$HOME/.cache/pacer}
tools=${TOOLS_DIR:-$cache/tools}
govulncheck=$tools/govulncheck-$GOVULNCHECK_VERSION/govulncheck
indexdb=$tools/indexdb-$VULNDB_VERSION/indexdb
db=$cache/vulndb-$VULNDB_VERSION

log() { echo "govulncheck.sh: $*" >&2; }

# install_tool installs the command package $2 at version $3 as $1, building
# outside the repo so pacer's go.mod plays no part in it.
install_tool() {
  local bin=$1 pkg=$2 version=$3
  [ -x "$bin" ] && return 0
  log "installing $pkg@$version into $(dirname "$bin")"
  (cd / && GOBIN=$(dirname "$bin") "$GO" install "$pkg@$version")
}

# build_db builds the database into $db from the OSV reports shipped in the
# golang.org/x/vulndb module; it writes to a temporary folder and renames it
# into place, so an interrupted build never leaves a half database behind.
build_db() {
  [ -s "$db/index/db.json" ] && [ -s "$db/index/modules.json" ] && return 0
  install_tool "$indexdb" golang.org/x/vulndb/cmd/indexdb "$VULNDB_VERSION"
  local src
  src=$(cd / && "$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
    log "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv folder (module dir: '${src:-none}')"
    return 1
  fi
  log "building the vulnerability database from $src/data/osv into $db"
  mkdir -p "$cache"
  local tmp
  tmp=$(mktemp -d "$cache/vulndb-build.XXXXXX")
  if ! "$indexdb" -vulns "$src/data/osv" -out "$tmp/db"; then
    rm -rf "$tmp"
    log "indexdb failed on $src/data/osv"
    return 1
  fi
  # A half database left by an older, interrupted version of this script
  # goes; a whole one that a concurrent run finished first stays.
  if [ -d "$db" ] && [ ! -s "$db/index/db.json" ]; then
    rm -rf "$db"
  fi
  if ! mv -T "$tmp/db" "$db" 2>/dev/null && [ ! -s "$db/index/db.json" ]; then
    rm -rf "$tmp"
    log "could not move the database into $db"
    return 1
  fi
  rm -rf "$tmp"
}

install_tool "$govulncheck" golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION"
if [ -n "${GOVULNDB:-}" ]; then
  dburl=$GOVULNDB
else
  build_db
  dburl=file://$db
fi

log "scanning $root with $(cd "$root" && "$GO" env GOVERSION) against $dburl"
# govulncheck finds the go command on PATH; put the chosen one first.
gobin=$(dirname "$(command -v "$GO")")
status=0
(cd "$root" && PATH="$gobin:$PATH" "$govulncheck" -db "$dburl" "$@" ./...) || status=$?
if [ "$status" -eq 3 ]; then
  log "vulnerable code is reachable: bump the modules (or the Go toolchain, for the standard library) to the 'Fixed in' versions above"
fi
exit "$status"
