#!/usr/bin/env bash
# CPU decode benchmark of the Qwen3 engine on a Qwen3-0.6B-shaped random checkpoint, beside the
# memory-bandwidth bound measured in the same run (see docs/benchmarks.md, "CPU engine").
#
# Usage: scripts/bench/cpu-decode.sh [OUT.json] [extra CpuDecodeBenchmark options]
#   env: MODEL_DIR (default /tmp/flashtensors-bench/qwen3-0.6b, generated when missing),
#        PROFILE=1 also records a JFR profile and prints the hottest methods.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-}
shift || true
model=${MODEL_DIR:-/tmp/flashtensors-bench/qwen3-0.6b}
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java

cd "$root"
if [ ! -f flashtensors-core/target/flashtensors-core-0.1.0-SNAPSHOT.jar ]; then
  ./mvnw -q -B -pl flashtensors-core -am package -DskipTests -Dspotless.check.skip=true
fi
if [ ! -f "$model/config.json" ]; then
  ./flashtensors generate "$model" --shape qwen3-0.6b --seed 1
fi
echo "load average before: $(cat /proc/loadavg)" >&2

jfr=()
if [ "${PROFILE:-0}" = 1 ]; then
  jfr=(-XX:StartFlightRecording=filename="${out:-cpu-decode}.jfr",settings=profile)
fi
args=("$model")
[ -n "$out" ] && args+=(--out "$out")
"$java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED "${jfr[@]}" \
  -cp "flashtensors-core/target/flashtensors-core-0.1.0-SNAPSHOT.jar:flashtensors-core/target/lib/*" \
  io.flashtensors.bench.CpuDecodeBenchmark "${args[@]}" "$@" 2> >(grep -v '^WARNING: Using incubator' >&2)
if [ "${PROFILE:-0}" = 1 ]; then
  "$(dirname "$java")/jfr" view --width 160 hot-methods "${out:-cpu-decode}.jfr" | head -25
fi
