#!/usr/bin/env bash
# Tokenizer throughput benchmark (single thread): encode with and without the BPE cache, decode,
# streaming decode. Usage: scripts/bench/tokenizer.sh [TOKENIZER.json(.gz)|FOLDER] [TEXT_FILE]
# Defaults: the committed Qwen3 tokenizer and the parity corpus documents. Numbers go to
# docs/benchmarks.md (tokenizer section).
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -pl flashtensors-core test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt >/dev/null
CP="flashtensors-core/target/classes:flashtensors-core/target/test-classes:$(cat flashtensors-core/target/bench-classpath.txt)"
args=()
for a in "$@"; do args+=("$(realpath "$a")"); done
exec "$JAVA_HOME/bin/java" -cp "$CP" io.flashtensors.llm.tokenizer.TokenizerBenchmark "${args[@]}"
