#!/usr/bin/env bash
# Runs every Go fuzz test of the module for a bounded time each
# (FUZZTIME, default 10s), so parsers are fuzzed on every `make test`.
set -euo pipefail
fuzztime=${FUZZTIME:-10s}
go=${GO:-go}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
  pkg="./$(dirname "${file#./}")"
  for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
    echo "fuzz: $pkg $name for $fuzztime"
    "$go" test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg"
  done
done
