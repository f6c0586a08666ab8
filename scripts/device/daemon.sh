#!/usr/bin/env bash
# Runs on the GPU machine: the daemon's GPU checks and its hot-swap benchmark. Beside it:
# payload.tar.xz (scripts/device/daemon-assemble.sh: jars stored uncompressed so that xz packs
# them tightly, the test classes it needs, the JUnit console, bench scripts); the JRE comes from
# .device/jre.tar.xz and the CUDA kernels from the checkout's resources.
#   1. GPU test: a second JVM loads a model through the daemon by CUDA IPC; the bytes on its GPU
#      equal the source; a client that dies without confirming is released (DaemonIpcGpuTest).
#   2. Eight Qwen3-0.6B-shaped checkpoints (random bf16), unless they exist.
#   3. Hot swap through the daemon (DaemonSwapBenchmark): p50/p90/p99 of a whole swap and of its
#      copies, cycling the eight models resident in the daemon.
#   4. `run` on the GPU through the daemon against `run --no-daemon`: same greedy tokens.
# JSON and logs go to $OUT; a short summary is printed last.
set -uo pipefail
dev=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$dev/../.." && pwd)
here=/tmp/ft-daemon-payload
if [ -f "$dev/payload.tar.xz" ]; then
  rm -rf "$here" && mkdir -p "$here" && tar xJf "$dev/payload.tar.xz" -C "$here"
else
  here=$dev
fi
OUT=${OUT:-/tmp/flashtensors-out}
DATA=${DATA:-/root/bench-data}
HOME_DIR=/tmp/ft-daemon-bench
mkdir -p "$OUT" "$DATA"
start=$(date +%s)
stamp() { echo "== $1 (t=$(( $(date +%s) - start )) s)"; }

stamp "setup"
if [ ! -x /tmp/jre/bin/java ]; then
  jre="$here/jre.tar.xz"; [ -f "$jre" ] || jre="$repo/.device/jre.tar.xz"
  tar xJf "$jre" -C /tmp
fi
export JAVA_HOME=/tmp/jre PATH=/tmp/jre/bin:$PATH
JAVA=(java --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -Xmx4g)
CP=$repo/flashtensors-core/src/main/resources:$(ls "$here"/lib/*.jar | tr '\n' ':')
if ! java --list-modules | grep -q '^java.xml@'; then
  # The lean JRE has no java.xml; Jackson's databind names org.w3c.dom.Node/Document in a static
  # initializer, so two empty interfaces stand in for them (nothing here touches XML).
  CP=$CP$dev/dom-stubs.jar:
fi
nvidia-smi --query-gpu=name,uuid,driver_version,memory.total,pcie.link.gen.current,pcie.link.width.current --format=csv | tee "$OUT/daemon-machine.txt"
{ nproc; free -g; df -h /dev/shm /tmp; } >> "$OUT/daemon-machine.txt" 2>&1

stamp "GPU test: CUDA IPC through the daemon"
timeout 100 "${JAVA[@]}" -jar "$here"/test-lib/junit-platform-console-standalone-*.jar execute \
  --class-path "$here/test-classes:$CP$(ls "$here"/test-lib/assertj-core-*.jar)" \
  --select-class io.flashtensors.server.DaemonIpcGpuTest --include-tag gpu \
  --details=tree --disable-banner --disable-ansi-colors 2>&1 | tee "$OUT/daemon-tests.log" | tail -25

stamp "checkpoints"
specs=(); models=()
for i in 0 1 2 3 4 5 6 7; do
  models+=("$DATA/q0.6b-$i")
  [ -f "$DATA/q0.6b-$i/config.json" ] || specs+=(--spec "0.6B:$DATA/q0.6b-$i:$i")
done
if [ ${#specs[@]} -gt 0 ]; then
  timeout 120 python3 "$here/bench/gen_checkpoint.py" "${specs[@]}" 2>&1 | tail -3
fi

stamp "hot swap through the daemon"
rm -rf "$HOME_DIR"
timeout 150 "${JAVA[@]}" -cp "$CP" io.flashtensors.bench.DaemonSwapBenchmark \
  --models "$(IFS=,; echo "${models[*]}")" --home "$HOME_DIR" --pool 16GB --threads 16 \
  --swaps 200 --out "$OUT/daemon-swap.json" 2>&1 | tee "$OUT/daemon-swap.log"
cp "$HOME_DIR/daemon.log" "$OUT/daemon-bench-daemon.log" 2>/dev/null

stamp "run on the GPU through the daemon"
export FLASHTENSORS_HOME=$HOME_DIR
CLI=("${JAVA[@]}" -cp "$CP" io.flashtensors.cli.FlashTensorsCli)
"${CLI[@]}" start --mem-pool-size 4GB 2>&1 | tail -3
ARGS=(run bench/swap-0 --input-ids 9707,11,1879,0 --max-tokens 16 --temperature 0 --device cuda --json)
timeout 45 "${CLI[@]}" "${ARGS[@]}" > "$OUT/daemon-run-gpu.json" 2> "$OUT/daemon-run-gpu.err"
timeout 45 "${CLI[@]}" "${ARGS[@]}" --no-daemon > "$OUT/daemon-run-gpu-direct.json" 2>> "$OUT/daemon-run-gpu.err"
"${CLI[@]}" status 2>&1 | tee -a "$OUT/daemon-run-gpu.err" | head -12
"${CLI[@]}" stop
cp "$HOME_DIR/daemon.log" "$OUT/daemon-run-daemon.log" 2>/dev/null

stamp "summary"
python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
def load(name):
    try:
        return json.load(open(os.path.join(out, name)))
    except Exception as e:
        return {"error": str(e)}
tests = open(os.path.join(out, "daemon-tests.log")).read() if os.path.exists(os.path.join(out, "daemon-tests.log")) else ""
print("GPU tests:", [l.strip() for l in tests.splitlines() if "tests successful" in l or "tests failed" in l])
s = load("daemon-swap.json")
if "swap_seconds" in s:
    print(f"model {s['model_bytes']/1e9:.2f} GB x {s['models']}, pool pinned={s['pool_pinned']}")
    print("host loads (s):", [round(x, 2) for x in s["host_load_seconds"]])
    for k in ("swap_seconds", "copy_seconds"):
        v = s[k]
        print(f"{k:13s} p50 {v['p50']*1e3:7.1f} ms  p90 {v['p90']*1e3:7.1f} ms  p99 {v['p99']*1e3:7.1f} ms  max {v['max']*1e3:7.1f} ms")
    print(f"copy GB/s at p50 {s['copy_gb_per_s_p50']:.1f}, whole swap GB/s at p50 {s['swap_gb_per_s_p50']:.1f}")
else:
    print("swap benchmark:", s)
a, b = load("daemon-run-gpu.json"), load("daemon-run-gpu-direct.json")
print("run --device cuda through the daemon == --no-daemon:", a.get("output_ids") == b.get("output_ids"), a.get("output_ids"), b.get("output_ids"))
print("load seconds daemon/direct:", a.get("load_seconds"), b.get("load_seconds"))
PY
