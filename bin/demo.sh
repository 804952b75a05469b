#!/usr/bin/env bash
# `make demo`: the main job on an embedded default. Imports the hand-built sample capture of the seed's scenario
# (a client pod curling a server pod through Cilium) and replays it. Later steps extend this to a live recording.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${DEMO_OUT:-tmp/demo}
mkdir -p "$(dirname "$out")"
sample=samples/demo-delivered.pwru.txt
[ -f "$sample" ] || sample=samples/seed-v1.0.10.pwru.txt
echo "== skbtape import $sample"
./node_modules/.bin/skbtape import "$sample" -o "$out" --force
echo
echo "== skbtape replay $out | head -20"
./node_modules/.bin/skbtape replay "$out" | head -20
