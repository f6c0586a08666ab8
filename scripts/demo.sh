#!/usr/bin/env bash
# The main job on a model, end to end: builds the CLI (first run only), writes a small Qwen3-shaped
# safetensors checkpoint with random weights, converts it to the flash layout, inspects it and loads
# it with checksum verification. Usage: scripts/demo.sh [WORKDIR]   (default: target/demo)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$root/target/demo}
ft="$root/flashtensors"

rm -rf "$work"
mkdir -p "$work"
"$ft" generate "$work/small-qwen3" --shape small --shard-size 32MB
"$ft" convert "$work/small-qwen3" "$work/small-qwen3-flash"
"$ft" inspect "$work/small-qwen3-flash" | head -n 12
echo "..."
"$ft" load "$work/small-qwen3-flash" --verify
"$ft" load "$work/small-qwen3"
