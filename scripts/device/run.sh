#!/usr/bin/env bash
# Runs on the GPU machine (python, torch and CUDA; no Java, no Maven), from the folder that
# scripts/device/assemble.sh filled (run.sh + payload.tar.xz), inside the checkout that travels with
# the call (its fixtures and test resources are read from there):
#
#   bash .dev/<branch>/run.sh [MODE...]        (modes also comma-separated; default: all)
#
# Modes run in this order, whatever order they are given in:
#   tests         every @Tag("gpu") test of flashtensors-core (JUnit console launcher): GPU loads
#                 (bytes on the device equal the source for every dtype, cancellation, out of memory,
#                 eviction), the CUDA layer, the CUDA engine against the CPU engine (tiny fixtures and
#                 a Qwen3-0.6B shape), engine device selection, and the daemon's CUDA IPC test
#   load-bench    issue 3: Qwen3 0.6B (x8) / 4B / 8B-shaped checkpoints (random bf16, 4 GiB shards);
#                 GpuLoadBenchmark (pool allocation, ceilings, warm / cold / resident loads, in-process
#                 hot swap); safetensors load_file and transformers from_pretrained, same card
#   engine-bench  issue 6: `flashtensors run` cold start, CudaBenchmark (decode, TTFT, prefill) on the
#                 0.6B and 8B shapes, HF transformers generate on the same checkpoints, kernel_check.py
#   daemon        issue 7: hot swap through the daemon (DaemonSwapBenchmark: 8 resident 0.6B shapes,
#                 p50/p90/p99 of a swap by CUDA IPC), then `run --device cuda` through the daemon
#                 against `--no-daemon` (same greedy tokens)
#   full-parity   the CPU engine against transformers (float32) on a 0.6B-shaped random checkpoint
#   all           all of the above: longer than one 10-minute device call, so split it there
#
# Results: a work folder (/tmp/ft-results) that is packed into $OUT after every step, so that a call
# cut off at its time limit still returns what was done: $OUT/run.log (this output), tests.log,
# summary.txt (the short table printed last) and results.tgz (JSON, logs, JUnit XML reports).
# BUDGET_S (default 570): seconds this script may take; each step's timeout is cut to what is left
# and a step that cannot fit is skipped, saying so. DATA (default /root/bench-data): checkpoints,
# kept between calls on a warm machine. BENCH_ARGS: more GpuLoadBenchmark arguments.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=${FT_REPO:-$(cd "$here/../.." && pwd)}
OUT=${OUT:-/tmp/flashtensors-out}
DATA=${DATA:-/root/bench-data}
BUDGET_S=${BUDGET_S:-570}
W=/tmp/ft-results     # work folder, packed into $OUT
T=/tmp/ft-device      # the unpacked payload
mkdir -p "$OUT" "$DATA"
rm -rf "$W" && mkdir -p "$W"
exec > >(tee "$OUT/run.log") 2>&1

all="tests load-bench engine-bench daemon full-parity"
asked=" $(echo "${*:-all}" | tr ',' ' ') "
[[ $asked == *" all "* ]] && asked=" $all "
for m in $asked; do
  [[ " $all " == *" $m "* ]] || { echo "unknown mode '$m'; modes: $all all"; exit 2; }
done
has() { [[ $asked == *" $1 "* ]]; }

t0=$(date +%s)
elapsed() { echo $(($(date +%s) - t0)); }
left() { echo $((BUDGET_S - $(elapsed) - 15)); } # 15 s kept for the last packing
stamp() { echo "== $1 (t=$(elapsed) s)"; }
# limit CAP: a step's timeout, CAP seconds or what is left.
limit() { local l; l=$(left); ((l < $1)) && echo $((l > 1 ? l : 1)) || echo "$1"; }
# fits SECONDS WHAT: whether a step that needs SECONDS can start; records it when not.
fits() {
  (($(left) >= $1)) && return 0
  echo "skipped: $2 (needs about $1 s, $(left) s left)" | tee -a "$W/skipped.txt"
  return 1
}
pack() {
  python3 "$T/scripts/summary.py" "$W" > "$W/summary.txt" 2>&1
  cp "$W/summary.txt" "$OUT/summary.txt"
  [ -f "$W/tests.log" ] && cp "$W/tests.log" "$OUT/tests.log"
  tar czf "$OUT/results.tgz.part" -C "$W" . && mv "$OUT/results.tgz.part" "$OUT/results.tgz"
}

stamp "setup: modes$asked"
rm -rf "$T" && mkdir -p "$T"
xz -dc "$here/payload.tar.xz" | tar xf - -C "$T" || { echo "cannot unpack $here/payload.tar.xz"; exit 1; }
cat "$T/BUILD-INFO"
export JAVA_HOME=$T/jre PATH=$T/jre/bin:$PATH PYTHONUNBUFFERED=1
JAVA=(java --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector)
CP=$(ls "$T"/lib/*.jar | tr '\n' ':')
CP=${CP%:}
TEST_CP=$T/test-classes:$repo/flashtensors-core/src/test/resources:$CP
for j in "$T"/test-lib/*.jar; do
  [[ $j == *console-standalone* ]] || TEST_CP=$TEST_CP:$j
done
CLI=("${JAVA[@]}" -Xmx8g -cp "$CP" io.flashtensors.cli.FlashTensorsCli)
{
  cat "$T/BUILD-INFO"
  nvidia-smi --query-gpu=name,uuid,driver_version,memory.total,memory.used,pcie.link.gen.current,pcie.link.width.current --format=csv
  java -version 2>&1 | head -1
  python3 -c 'import torch, transformers, safetensors; print("torch", torch.__version__, "transformers", transformers.__version__, "safetensors", safetensors.__version__)'
  echo "cores $(nproc)"
  free -g
  df -h /root /tmp /dev/shm
  echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled), shmem: $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled)"
} > "$W/machine.txt" 2>&1
head -4 "$W/machine.txt"

# checkpoints SPEC...: random bf16 Qwen3-shaped checkpoints (gen_checkpoint.py SHAPE:DIR:SEED),
# the ones not there yet.
checkpoints() {
  local specs=() s
  for s in "$@"; do
    IFS=: read -r _ dir _ <<< "$s"
    [ -f "$dir/config.json" ] || specs+=(--spec "$s")
  done
  if [ ${#specs[@]} -gt 0 ]; then
    timeout "$(limit 200)" python3 "$T/scripts/gen_checkpoint.py" "${specs[@]}" 2>&1 | tee -a "$W/checkpoints.log"
    sync
  fi
}
swap_specs=()
swap_dirs=()
for i in 0 1 2 3 4 5 6 7; do
  swap_specs+=("0.6B:$DATA/q0.6b-$i:$i")
  swap_dirs+=("$DATA/q0.6b-$i")
done

if has tests && fits 60 "GPU tests"; then
  stamp "GPU tests (@Tag(\"gpu\"), flashtensors-core)"
  # From the checkout's root: the tests find fixtures/ above the working folder.
  (cd "$repo" && timeout "$(limit "${TESTS_TIMEOUT:-300}")" "${JAVA[@]}" -Xmx8g \
    -jar "$T/test-lib/junit-platform-console-standalone.jar" execute \
    --class-path "$TEST_CP" --scan-class-path "$T/test-classes" --include-tag gpu \
    --reports-dir "$W/junit" --details=testfeed --disable-banner --disable-ansi-colors) > "$W/tests.log" 2>&1
  echo "exit code $?" >> "$W/tests.log"
  grep -E "FAILED|ABORTED|tests (found|successful|failed|aborted|skipped)|exit code" "$W/tests.log"
  pack
fi

if has load-bench && fits 300 "load-bench"; then
  stamp "load-bench: checkpoints"
  checkpoints "4B:$DATA/q4b:100" "8B:$DATA/q8b:200" "${swap_specs[@]}"
  df -h "$DATA" | tail -1
  MODELS=(--model "0.6B=$DATA/q0.6b-0" --model "4B=$DATA/q4b" --model "8B=$DATA/q8b")
  stamp "load-bench: GpuLoadBenchmark"
  # shellcheck disable=SC2086 # BENCH_ARGS is a list of arguments
  timeout "$(limit 300)" "${JAVA[@]}" -Xmx6g -Xlog:gc:file="$W/load-gc.log" -cp "$CP" \
    io.flashtensors.bench.GpuLoadBenchmark "${MODELS[@]}" --swap "$(IFS=,; echo "${swap_dirs[*]}")" \
    --pool 16g --chunk 32m --threads 16 --streams 2 --warm 5 --cold 2 --resident 5 --swaps 200 \
    --drop-caches --convert 8B --variants host_alloc,prefault,reuse --out "$W/load-java.json" \
    ${BENCH_ARGS:-} > "$W/load-java.log" 2>&1
  tail -5 "$W/load-java.log"
  pack
  stamp "load-bench: Python baselines"
  timeout "$(limit 90)" python3 "$T/scripts/py_loaders.py" --loader safetensors "${MODELS[@]}" \
    --warm 3 --cold "${PY_COLD:-1}" --out "$W/load-safetensors.json" > "$W/load-python.log" 2>&1
  timeout "$(limit 120)" python3 "$T/scripts/py_loaders.py" --loader transformers "${MODELS[@]}" \
    --warm 3 --cold "${PY_COLD:-1}" --out "$W/load-transformers.json" 2>&1 | grep -v Warning >> "$W/load-python.log"
  python3 "$T/scripts/summarize.py" --java "$W/load-java.json" --safetensors "$W/load-safetensors.json" \
    --transformers "$W/load-transformers.json" --out "$W/load-summary.txt" > /dev/null
  pack
fi

if has engine-bench && fits 240 "engine-bench"; then
  stamp "engine-bench: checkpoints"
  checkpoints "0.6B:$DATA/q0.6b-0:0" "8B:$DATA/q8b:200"
  ids=$(python3 -c "import random; random.seed(1); print(','.join(str(random.randrange(151643)) for _ in range(16)))")
  for shape in 0.6b 8b; do
    dir=$DATA/q$shape
    [ "$shape" = 0.6b ] && dir=$DATA/q0.6b-0
    stamp "engine-bench: qwen3-$shape"
    # Cold start of the CLI itself: process start to first token (and exit), page cache warm.
    for rep in 1 2 3; do
      s=$(date +%s%N)
      FT_PROCESS_START_NS=$s timeout "$(limit 60)" "${CLI[@]}" run "$dir" --input-ids "$ids" --max-tokens 1 \
        --temperature 0 --device cuda --json > "$W/engine-cli-$shape-$rep.json" 2> "$W/engine-cli-$shape-$rep.err"
      rc=$?
      echo "cli run qwen3-$shape rep $rep: exit $rc, $((($(date +%s%N) - s) / 1000000)) ms process start to exit" |
        tee -a "$W/engine-cli-cold-start.txt"
    done
    FT_PROCESS_START_NS=$(date +%s%N) timeout "$(limit 200)" "${JAVA[@]}" -Xss4m -cp "$TEST_CP" \
      io.flashtensors.llm.qwen3.cuda.CudaBenchmark "$dir" "$W/engine-qwen3-$shape.json" > "$W/engine-qwen3-$shape.log" 2>&1 ||
      { echo "CudaBenchmark qwen3-$shape failed"; tail -20 "$W/engine-qwen3-$shape.log"; }
    timeout "$(limit 200)" python3 "$T/scripts/hf_generate_bench.py" "$dir" "$W/engine-hf-qwen3-$shape.json" \
      > "$W/engine-hf-qwen3-$shape.log" 2>&1 || { echo "HF qwen3-$shape failed"; tail -20 "$W/engine-hf-qwen3-$shape.log"; }
    pack
  done
  stamp "engine-bench: kernel_check.py"
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
    "$(ls "$T"/lib/flashtensors-core-*.jar)" io/flashtensors/cuda/flashtensors.fatbin > "$T/flashtensors.fatbin"
  (cd "$T/scripts" && timeout "$(limit 200)" python3 kernel_check.py "$T/flashtensors.fatbin" \
    "$W/engine-kernel-check.json" > "$W/engine-kernel-check.log" 2>&1)
  echo "kernel_check exit $?"
  grep -E "^(FAIL|DIFF)|FAILS" "$W/engine-kernel-check.log" | head -20
  pack
fi

if has daemon && fits 90 "daemon"; then
  stamp "daemon: checkpoints"
  checkpoints "${swap_specs[@]}"
  stamp "daemon: hot swap through the daemon"
  home=/tmp/ft-daemon-bench
  rm -rf "$home"
  timeout "$(limit 200)" "${JAVA[@]}" -Xmx4g -cp "$CP" io.flashtensors.bench.DaemonSwapBenchmark \
    --models "$(IFS=,; echo "${swap_dirs[*]}")" --home "$home" --pool 16GB --threads 16 --swaps 200 \
    --out "$W/daemon-swap.json" 2>&1 | tee "$W/daemon-swap.log"
  cp "$home/daemon.log" "$W/daemon-swap-daemon.log" 2>/dev/null
  pack
  if fits 45 "daemon: run through the daemon"; then
    stamp "daemon: run --device cuda through the daemon and with --no-daemon"
    export FLASHTENSORS_HOME=$home
    "${CLI[@]}" start --mem-pool-size 4GB 2>&1 | tail -3
    args=(run bench/swap-0 --input-ids 9707,11,1879,0 --max-tokens 16 --temperature 0 --device cuda --json)
    timeout "$(limit 45)" "${CLI[@]}" "${args[@]}" > "$W/daemon-run-gpu.json" 2> "$W/daemon-run-gpu.err"
    timeout "$(limit 45)" "${CLI[@]}" "${args[@]}" --no-daemon > "$W/daemon-run-gpu-direct.json" 2>> "$W/daemon-run-gpu.err"
    "${CLI[@]}" status 2>&1 | tee -a "$W/daemon-run-gpu.err" | head -12
    "${CLI[@]}" stop
    unset FLASHTENSORS_HOME
    cp "$home/daemon.log" "$W/daemon-run-daemon.log" 2>/dev/null
    pack
  fi
fi

if has full-parity && fits 120 "full-parity"; then
  stamp "full-parity: transformers float32 reference"
  work=/tmp/engine-full-size
  rm -rf "$work"
  timeout "$(limit 200)" python3 "$T/scripts/make_full_size_reference.py" --out "$work" > "$W/parity-reference.log" 2>&1
  tail -3 "$W/parity-reference.log"
  stamp "full-parity: the CPU engine"
  ids=$(python3 -c "import json; print(','.join(map(str, json.load(open('$work/reference.json'))['input_ids'])))")
  n=$(python3 -c "import json; print(len(json.load(open('$work/reference.json'))['greedy_ids']))")
  timeout "$(limit 200)" "${CLI[@]}" run "$work/model" --input-ids "$ids" --max-tokens "$n" --temperature 0 \
    --device cpu --json --dump-logits > "$work/java-run.json" 2> "$W/parity-java-run.err" ||
    tail -5 "$W/parity-java-run.err"
  python3 - "$work" "$W" <<'PY'
import json, sys
import numpy as np
from safetensors.numpy import load_file
work, out = sys.argv[1], sys.argv[2]
ref = json.load(open(f"{work}/reference.json"))
java = json.load(open(f"{work}/java-run.json"))
want = load_file(f"{work}/reference.safetensors")["last_logits"].astype(np.float64)
got = np.array(java["prompt_last_logits"], dtype=np.float64)
rel = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
same = java["output_ids"] == ref["greedy_ids"]
result = {"case": "qwen3-0.6b-shaped random, bf16 weights", "prompt_tokens": len(ref["input_ids"]),
          "max_abs_error_over_max_abs_logit": rel, "tolerance": 1e-3, "logits_ok": rel <= 1e-3,
          "greedy_tokens": len(ref["greedy_ids"]), "greedy_identical": same,
          "min_greedy_margin": min(ref["greedy_margins"]),
          "java_tokens_per_second": java["tokens_per_second"], "java_load_seconds": java["load_seconds"]}
json.dump(result, open(f"{out}/parity.json", "w"), indent=1)
PY
  cp "$work/reference.json" "$W/parity-reference.json" 2>/dev/null
  pack
fi

stamp "summary"
pack
cat "$W/summary.txt"
