#!/usr/bin/env bash
# Runs on the GPU machine from the folder gpu-engine-assemble.sh filled (carried as .dev/kernels):
#   bash gpu-engine-device.sh STAGE...   with STAGE among tests, kernels, bench, hf
# tests:   the GPU-tagged tests of the CUDA engine (JUnit console launcher; XML reports to $OUT)
# kernels: kernel_check.py (each kernel and the composed model against torch / transformers, timings)
# bench:   random Qwen3-0.6B- and 8B-shaped checkpoints, then CudaBenchmark on each (cold start,
#          TTFT, prefill, decode)
# hf:      the Hugging Face transformers baseline on the same checkpoints (same run)
# Results land in $OUT; a short table is printed last.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# Only 8 files come back from a device call: everything is written under a work folder and packed
# into one archive in $OUT at the end.
FINAL="${OUT:-/tmp/out}"
OUT=/tmp/ft-results
mkdir -p "$OUT" "$FINAL"
repo="$(cd "$here/../.." && pwd)"
# Jackson and JUnit's XML reports need java.xml: prefer a runtime packed with it (jre.tar.xz beside
# this script, made by gpu-engine-assemble.sh) over the shared .device one.
jre="$here/jre.tar.xz"; [ -f "$jre" ] || jre="$repo/.device/jre.tar.xz"
if [ ! -x /tmp/jre/bin/java ]; then tar xJf "$jre" -C /tmp; fi
export JAVA_HOME=/tmp/jre PATH=/tmp/jre/bin:$PATH
JAVA=(java --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -Xss4m)
CP="$(ls "$here"/lib/*.jar | tr '\n' ':')"
ckpt=/tmp/ft-ckpt
nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm --format=csv,noheader

make_ckpt() {  # shape folder
  [ -f "$2/config.json" ] && return 0
  "${JAVA[@]}" -cp "$CP" io.flashtensors.cli.FlashTensorsCli generate "$2" --shape "$1" >/dev/null 2>"$OUT/generate-$1.log" \
    || { echo "checkpoint $1 failed"; tail -5 "$OUT/generate-$1.log"; }
}

for stage in "$@"; do
  case "$stage" in
    tests)
      rm -rf /tmp/ft-test-classes && mkdir -p /tmp/ft-test-classes
      python3 -m zipfile -e "$here/lib/flashtensors-core-tests.jar" /tmp/ft-test-classes
      (cd "$here" && timeout "${TESTS_TIMEOUT:-240}" "${JAVA[@]}" -jar "$here/junit-console.jar" execute \
        --class-path "/tmp/ft-test-classes:$CP" --scan-class-path /tmp/ft-test-classes \
        --include-package io.flashtensors.llm.qwen3.cuda --include-tag gpu \
        --reports-dir "$OUT/junit" --details=tree --disable-banner --disable-ansi-colors > "$OUT/tests.log" 2>&1)
      echo "tests rc=$?"; grep -E "tests (successful|failed|aborted)|GPU sampler" "$OUT/tests.log"
      grep -B2 -A12 "MethodSource\|JUnit Jupiter:.*✘" "$OUT/tests.log" | head -60
      ;;
    kernels)
      (cd "$here" && timeout "${KERNELS_TIMEOUT:-200}" python3 kernel_check.py flashtensors.fatbin "$OUT/kernel_check.json" > "$OUT/kernel_check.log" 2>&1)
      echo "kernel_check rc=$?"; grep -E "^(FAIL|DIFF)|FAILS" "$OUT/kernel_check.log" | head -20
      ;;
    bench)
      mkdir -p "$ckpt"
      for shape in qwen3-0.6b qwen3-8b; do
        t=$SECONDS; make_ckpt "$shape" "$ckpt/$shape"; echo "checkpoint $shape: $((SECONDS - t)) s"
        # Cold start of the CLI itself: process start to first token (and exit), page cache warm.
        ids=$(python3 -c "import random; random.seed(1); print(','.join(str(random.randrange(151643)) for _ in range(16)))")
        for rep in 1 2 3; do
          t0=$(date +%s%N)
          FT_PROCESS_START_NS=$t0 "${JAVA[@]}" -cp "$CP" io.flashtensors.cli.FlashTensorsCli run "$ckpt/$shape" --input-ids "$ids" \
            --max-tokens 1 --temperature 0 --device cuda --json > "$OUT/cli-$shape-$rep.json" 2>"$OUT/cli-$shape-$rep.err"
          rc=$?; t1=$(date +%s%N)
          echo "cli run $shape rep $rep: rc $rc, $(( (t1 - t0) / 1000000 )) ms process start to exit" | tee -a "$OUT/cli-cold-start.txt"
        done
        FT_PROCESS_START_NS=$(date +%s%N) timeout 200 "${JAVA[@]}" -cp "$CP" io.flashtensors.llm.qwen3.cuda.CudaBenchmark "$ckpt/$shape" \
          "$OUT/flashtensors-$shape.json" > "$OUT/bench-$shape.log" 2>&1 || { echo "bench $shape failed"; tail -20 "$OUT/bench-$shape.log"; }
      done
      ;;
    hf)
      for shape in qwen3-0.6b qwen3-8b; do
        make_ckpt "$shape" "$ckpt/$shape"
        timeout 200 python3 "$here/hf_generate_bench.py" "$ckpt/$shape" "$OUT/hf-$shape.json" > "$OUT/hf-$shape.log" 2>&1 \
          || { echo "hf $shape failed"; tail -20 "$OUT/hf-$shape.log"; }
      done
      ;;
  esac
done
(cd "$OUT" && tar czf "$FINAL/results.tgz" .)
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(n):
    try:
        return json.load(open(os.path.join(out, n)))
    except Exception:
        return None
for shape in ("qwen3-0.6b", "qwen3-8b"):
    ft, hf = load(f"flashtensors-{shape}.json"), load(f"hf-{shape}.json")
    if ft and "decode_tokens_per_second" in ft:
        print(f"{shape} ours: decode {ft['decode_tokens_per_second']['median']:.1f} tok/s, "
              f"ttft {ft['ttft_seconds']['median']*1e3:.1f} ms, prefill {ft['prefill_tokens_per_second']:.0f} tok/s, "
              f"cold {ft['cold_start']['process_start_to_first_token_seconds']:.2f} s ({ft['cold_start']})")
    if hf:
        print(f"{shape} HF:   decode {hf['decode_tokens_per_second']['median']:.1f} tok/s, "
              f"ttft {hf['ttft_seconds']['median']*1e3:.1f} ms, prefill fwd {hf['prefill_forward_seconds']['median']*1e3:.1f} ms")
PY
