#!/usr/bin/env bash
# Runs every kubelab test: Go (against real sandboxes and a real SQLite
# file), the browser modules' unit tests, and the end-to-end browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

make build

echo "== gofmt and go vet"
bad=$(gofmt -l $(git ls-files '*.go' | grep -v '_templ.go$') || true)
if [ -n "$bad" ]; then
  echo "gofmt would change:"; echo "$bad"; exit 1
fi
go vet ./...

echo "== go test"
go test -timeout 45m ./...

echo "== browser module tests"
(cd assets && npm ci --no-audit --no-fund --loglevel=error && npm test)

if [ -d e2e ]; then
  echo "== end-to-end browser tests"
  (cd e2e && npm ci --no-audit --no-fund --loglevel=error && npm test)
fi
