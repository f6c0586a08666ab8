#!/usr/bin/env bash
# Rebuilds the kernels' fatbin when the CUDA sources changed, and records the sources' hash beside it.
#   build-fatbin.sh [--check]
# The hash is SHA-256 over every file of this folder in name order, each as: name, NUL, bytes, NUL
# (KernelFatbinTest recomputes it the same way, so a build without nvcc still notices stale binaries).
# --check only reports whether the committed fatbin matches the sources (exit 1 when stale).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
res="$here/../resources/io/flashtensors/cuda"
fatbin="$res/flashtensors.fatbin"
hashfile="$res/flashtensors.fatbin.sha256"

sources_hash() {
  (cd "$here" && for f in $(LC_ALL=C ls -1 | LC_ALL=C sort); do
    [ -f "$f" ] || continue
    printf '%s\0' "$f"; cat "$f"; printf '\0'
  done) | sha256sum | cut -d' ' -f1
}

want="$(sources_hash)"
have="$(cat "$hashfile" 2>/dev/null || true)"
if [ "${1:-}" = "--check" ]; then
  [ "$want" = "$have" ] && [ -f "$fatbin" ] && { echo "fatbin up to date ($want)"; exit 0; }
  echo "fatbin is stale: sources $want, fatbin built from ${have:-nothing}" >&2; exit 1
fi
if [ "$want" = "$have" ] && [ -f "$fatbin" ]; then
  echo "flashtensors.fatbin is up to date"
  exit 0
fi
NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
if [ ! -x "$NVCC" ]; then
  echo "warning: CUDA sources changed but nvcc is not here; flashtensors.fatbin is stale" >&2
  exit 0
fi
mkdir -p "$res"
tmp="$(mktemp "$res/.flashtensors.fatbin.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
echo "nvcc: building flashtensors.fatbin (sm_80, sm_86, sm_89, sm_90 + compute_90 PTX)"
# shellcheck disable=SC2046
"$NVCC" $(cat "$here/nvcc.flags") -o "$tmp" "$here/flashtensors.cu"
mv "$tmp" "$fatbin"
printf '%s\n' "$want" > "$hashfile.tmp" && mv "$hashfile.tmp" "$hashfile"
echo "flashtensors.fatbin: $(stat -c %s "$fatbin") bytes, sources $want"
