#!/usr/bin/env bash
# On the GPU machine (python with torch/transformers, no Java): the CPU engine against transformers on
# a Qwen3-0.6B-shaped random checkpoint (28 layers, head_dim 128, the full vocabulary).
#
# Prepare here: scripts/device/engine-full-size-parity.sh --assemble DIR (copies the jar, its runtime
# libraries, the Python helper and a Java 25 runtime with java.xml, which Jackson needs, into DIR;
# about 30 MB that travel with the run). Run there: DIR/engine-full-size-parity.sh --run DIR OUT
set -euo pipefail
mode=${1:?--assemble DIR | --run DIR OUT}
dir=${2:?folder}
if [ "$mode" = --assemble ]; then
  root=$(cd "$(dirname "$0")/../.." && pwd)
  mkdir -p "$dir/lib"
  cp "$root"/flashtensors-core/target/flashtensors-core-*-SNAPSHOT.jar "$dir/"
  cp "$root"/flashtensors-core/target/lib/jackson-*.jar "$root"/flashtensors-core/target/lib/picocli-*.jar "$dir/lib/"
  cp "$root/scripts/reference/make_full_size_reference.py" "$0" "$dir/"
  make_jre=${MAKE_JRE:-$root/../shared/device/make-jre.sh}
  [ -x "$make_jre" ] || make_jre=/work/shared/device/make-jre.sh
  JRE_MODULES=java.base,jdk.unsupported,java.logging,java.management,jdk.incubator.vector,java.xml \
    "$make_jre" "$dir"
  exit 0
fi
out=${3:?OUT}
mkdir -p "$out" /tmp/jre-engine
if [ ! -x /tmp/jre-engine/jre/bin/java ]; then tar xJf "$dir/jre.tar.xz" -C /tmp/jre-engine; fi
java=$(ls -d /tmp/jre-engine/*/bin/java | head -1)
work=/tmp/engine-full-size
rm -rf "$work"
t0=$(date +%s)
python3 "$dir/make_full_size_reference.py" --out "$work" | tee "$out/reference.log"
ids=$(python3 -c "import json; print(','.join(map(str, json.load(open('$work/reference.json'))['input_ids'])))")
n=$(python3 -c "import json; print(len(json.load(open('$work/reference.json'))['greedy_ids']))")
"$java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g \
  -cp "$(ls "$dir"/flashtensors-core-*.jar):$dir/lib/*" io.flashtensors.cli.FlashTensorsCli \
  run "$work/model" --input-ids "$ids" --max-tokens "$n" --temperature 0 --json --dump-logits \
  > "$out/java-run.json" 2> "$out/java-run.err" || { cat "$out/java-run.err"; exit 1; }
cp "$work/reference.json" "$out/"
python3 - "$work" "$out" <<'PY'
import json, sys
from safetensors.numpy import load_file
import numpy as np
work, out = sys.argv[1], sys.argv[2]
ref = json.load(open(f"{work}/reference.json"))
java = json.load(open(f"{out}/java-run.json"))
want = load_file(f"{work}/reference.safetensors")["last_logits"].astype(np.float64)
got = np.array(java["prompt_last_logits"], dtype=np.float64)
rel = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
same = java["output_ids"] == ref["greedy_ids"][: len(java["output_ids"])] and len(java["output_ids"]) == len(ref["greedy_ids"])
result = {"case": "qwen3-0.6b-shaped random, bf16 weights", "prompt_tokens": len(ref["input_ids"]),
          "max_abs_error_over_max_abs_logit": rel, "tolerance": 1e-3, "logits_ok": rel <= 1e-3,
          "greedy_tokens": len(ref["greedy_ids"]), "greedy_identical": same,
          "min_greedy_margin": min(ref["greedy_margins"]),
          "java_tokens_per_second": java["tokens_per_second"], "java_load_seconds": java["load_seconds"]}
json.dump(result, open(f"{out}/parity.json", "w"), indent=1)
print(json.dumps(result, indent=1))
PY
echo "total $(( $(date +%s) - t0 )) s"
