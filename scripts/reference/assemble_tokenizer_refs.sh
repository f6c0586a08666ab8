#!/usr/bin/env bash
# Puts into DIR what one GPU-machine run needs to remake the tokenizer/chat-template references and
# time the tokenizers (HF in Python, ours in Java) on the same machine: the script, its inputs, the
# Qwen3 tokenizer files, the benchmark text, the Java classes and Jackson jars, and run_tokenizer_refs.sh.
# Usage: scripts/reference/assemble_tokenizer_refs.sh DIR   (e.g. ../main/.dev/tokenizer)
# Then run `bash DIR/run_tokenizer_refs.sh` there (with .device/jre.tar.xz two levels up), and copy
# $OUT/tokenizer-expected.json.gz and $OUT/chat-expected.json to flashtensors-core/src/test/resources/reference/.
set -euo pipefail
DIR="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$ROOT"
./mvnw -B -q -pl flashtensors-core test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/refs-classpath.txt >/dev/null \
  || { echo "build failed: run ./mvnw -pl flashtensors-core test-compile to see why" >&2; exit 1; }
R=flashtensors-core/src/test/resources
rm -rf "$DIR" && mkdir -p "$DIR/tok" "$DIR/lib"
cp scripts/reference/make_tokenizer_refs.py scripts/reference/run_tokenizer_refs.sh "$DIR/"
cp $R/qwen3-tokenizer/tokenizer.json.gz $R/qwen3-tokenizer/tokenizer_config.json "$DIR/tok/"
cp $R/reference/tokenizer-corpus.json $R/reference/chat-conversations.json "$DIR/"
# The benchmark text: the corpus documents joined, exactly as TokenizerBenchmark builds its default.
python3 - "$R/reference/tokenizer-corpus.json" "$DIR/bench.txt" <<'PY'
import json, sys
corpus = json.load(open(sys.argv[1], encoding="utf-8"))
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    f.write("".join(d["text"] + "\n\n" for d in corpus["documents"]))
PY
"$JAVA_HOME/bin/jar" cf "$DIR/lib/core.jar" -C flashtensors-core/target/classes .
(cd flashtensors-core/target/test-classes && "$JAVA_HOME/bin/jar" cf "$DIR/lib/bench.jar" \
  io/flashtensors/llm/tokenizer/TokenizerBenchmark.class io/flashtensors/llm/tokenizer/Qwen3TokenizerFiles.class)
tr ':' '\n' < flashtensors-core/target/refs-classpath.txt | grep jackson | xargs -I{} cp {} "$DIR/lib/"
du -sh "$DIR"
