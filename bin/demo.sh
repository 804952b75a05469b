#!/usr/bin/env bash
# `make demo`: the main job on an embedded default (see demo/demo.ts): a live recording of a real curl between two
# throwaway network namespaces where root + bpftrace allow it, else the hand-built sample captures.
set -euo pipefail
cd "$(dirname "$0")/.."
exec ./node_modules/.bin/skbtape demo -o "${DEMO_OUT:-tmp/demo}"
