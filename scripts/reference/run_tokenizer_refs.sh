#!/usr/bin/env bash
# Runs on the GPU machine in a folder made by assemble_tokenizer_refs.sh: HF reference outputs for the
# parity tests, then the tokenizer benchmark (HF tokenizers and the Java tokenizer, same text, same CPU).
set -u
cd "$(dirname "$0")"
OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
{ lscpu | sed -n '1,20p'; nproc; } > "$OUT/cpu.txt" 2>&1
python3 make_tokenizer_refs.py --tokenizer-dir tok --corpus tokenizer-corpus.json \
  --conversations chat-conversations.json --out "$OUT" --bench-text bench.txt > "$OUT/refs.log" 2>&1
echo "refs exit $?" >> "$OUT/refs.log"
tail -20 "$OUT/refs.log"
tar xJf ../../.device/jre.tar.xz -C /tmp && export PATH=/tmp/jre/bin:$PATH
java -cp 'lib/*' io.flashtensors.llm.tokenizer.TokenizerBenchmark tok/tokenizer.json.gz bench.txt \
  > "$OUT/bench-java.txt" 2>&1
echo "java exit $?" >> "$OUT/bench-java.txt"
cat "$OUT/bench-java.txt"
