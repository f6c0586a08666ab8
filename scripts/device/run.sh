#!/usr/bin/env bash
# Runs on the GPU machine, from what scripts/device/assemble.sh put beside it:
#   1. GPU-tagged tests (JUnit console launcher),
#   2. Qwen3-shaped checkpoints (0.6B x 8, 4B, 8B; random bf16, 4 GiB shards),
#   3. our benchmark (pool, ceilings, warm/cold/resident loads, hot swap),
#   4. the Python baselines (safetensors load_file, transformers from_pretrained), same card,
#   5. a short table last. JSON and logs go to $OUT.
# PHASES (default tests,gen,java,python) picks phases; BENCH_ARGS adds benchmark arguments.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
OUT=${OUT:-/tmp/flashtensors-out}
DATA=${DATA:-/root/bench-data}
PHASES=${PHASES:-tests,gen,java,python}
mkdir -p "$OUT" "$DATA"
has() { [[ ",$PHASES," == *",$1,"* ]]; }
start=$(date +%s)
stamp() { echo "== $1 (t=$(( $(date +%s) - start )) s)"; }

stamp "setup"
if [ ! -x /tmp/jre/bin/java ]; then
  if [ -f "$here/jre.tar.xz" ]; then tar xJf "$here/jre.tar.xz" -C /tmp; else tar xJf "$repo/.device/jre.tar.xz" -C /tmp; fi
fi
export JAVA_HOME=/tmp/jre PATH=/tmp/jre/bin:$PATH
JAVA=(java --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -Xmx6g)
CP=$(ls "$here"/lib/*.jar | tr '\n' ':')
nvidia-smi --query-gpu=name,uuid,driver_version,memory.total,memory.used,pcie.link.gen.current,pcie.link.width.current --format=csv | tee "$OUT/machine.txt"
{ nproc; free -g; df -h /root /tmp; echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled)";
  grep -E "AnonHugePages|HugePages_Total" /proc/meminfo; } >> "$OUT/machine.txt" 2>&1

if has tests; then
  stamp "GPU tests"
  timeout 60 "${JAVA[@]}" -jar "$here"/test-lib/junit-platform-console-standalone-*.jar execute \
    --class-path "$here/test-classes:$CP$(ls "$here"/test-lib/assertj-core-*.jar)" \
    --scan-class-path "$here/test-classes" --include-tag gpu \
    --details=tree --disable-banner --disable-ansi-colors 2>&1 | tee "$OUT/tests.log" | tail -60
fi

s06=(); for i in 0 1 2 3 4 5 6 7; do s06+=("$DATA/q0.6b-$i"); done
if has gen; then
  stamp "checkpoints"
  specs=(--spec "4B:$DATA/q4b:100" --spec "8B:$DATA/q8b:200")
  for i in 0 1 2 3 4 5 6 7; do specs+=(--spec "0.6B:$DATA/q0.6b-$i:$i"); done
  timeout 100 python3 "$here/bench/gen_checkpoint.py" "${specs[@]}" 2>&1 | tee "$OUT/gen.log"
  sync
  df -h "$DATA" | tail -1
fi

MODELS=(--model "0.6B=$DATA/q0.6b-0" --model "4B=$DATA/q4b" --model "8B=$DATA/q8b")
if has java; then
  stamp "java benchmark"
  swap=$(IFS=,; echo "${s06[*]}")
  timeout 270 "${JAVA[@]}" -Xlog:gc:file="$OUT/gc.log" -cp "$CP" io.flashtensors.bench.GpuLoadBenchmark "${MODELS[@]}" \
    --swap "$swap" --pool 16g --chunk 32m --threads 16 --streams 2 \
    --warm 5 --cold 2 --resident 5 --swaps 200 --drop-caches --convert 8B \
    --variants registered,prefault,registered+prefault --out "$OUT/java.json" \
    ${BENCH_ARGS:-} 2>&1 | tee "$OUT/java.log"
fi

if has python; then
  stamp "python baselines"
  export PYTHONUNBUFFERED=1
  timeout 60 python3 "$here/bench/py_loaders.py" --loader safetensors "${MODELS[@]}" \
    --warm 3 --cold ${PY_COLD:-1} --out "$OUT/safetensors.json" 2>&1 | tee "$OUT/python.log"
  timeout 90 python3 "$here/bench/py_loaders.py" --loader transformers "${MODELS[@]}" \
    --warm 3 --cold ${PY_COLD:-1} --out "$OUT/transformers.json" 2>&1 | grep -v Warning | tee -a "$OUT/python.log"
fi

stamp "summary"
# At most 8 files come back: logs go into one archive.
(cd "$OUT" && tar czf logs.tar.gz tests.log gen.log java.log python.log gc.log 2>/dev/null; rm -f tests.log gen.log java.log python.log gc.log)
python3 "$here/bench/summarize.py" --java "$OUT/java.json" --safetensors "$OUT/safetensors.json" \
  --transformers "$OUT/transformers.json" --out "$OUT/summary.txt"
