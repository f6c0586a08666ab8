#!/usr/bin/env bash
# Assembles what a GPU-engine check or benchmark needs on the GPU machine into DEST (default
# /work/main/.dev/kernels, the folder a device call carries): the core jar with the kernels' fatbin,
# its runtime dependencies, the test classes, JUnit's console launcher, AssertJ, the tiny parity
# fixtures and the Python scripts. Run from the repository (or worktree) root.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${1:-/work/main/.dev/kernels}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$root"
./mvnw -B -q -pl flashtensors-core -am package -DskipTests -Dspotless.check.skip=true
m2="${HOME}/.m2/repository"
junit="$m2/org/junit/platform/junit-platform-console-standalone/6.0.3/junit-platform-console-standalone-6.0.3.jar"
[ -f "$junit" ] || ./mvnw -B -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:6.0.3
assertj="$(ls "$m2"/org/assertj/assertj-core/*/assertj-core-*.jar | grep -v sources | sort -V | tail -1)"
rm -rf "$dest" && mkdir -p "$dest/lib" "$dest/fixtures"
cp flashtensors-core/target/flashtensors-core-*[0-9T].jar "$dest/lib/flashtensors-core.jar"
cp flashtensors-core/target/lib/*.jar "$dest/lib/"
(cd flashtensors-core/target/test-classes && "$JAVA_HOME/bin/jar" cf "$dest/lib/flashtensors-core-tests.jar" .)
cp "$junit" "$dest/junit-console.jar"
cp "$assertj" "$dest/lib/"
cp -r fixtures/qwen3-parity "$dest/fixtures/"
cp scripts/bench/*.py scripts/bench/gpu-engine-device.sh "$dest/"
cp flashtensors-core/src/main/resources/io/flashtensors/cuda/flashtensors.fatbin "$dest/"
# A Java 25 runtime with java.xml (Jackson and JUnit's XML reports need it).
JRE_MODULES=java.base,jdk.unsupported,java.logging,java.management,jdk.incubator.vector,java.net.http,java.xml \
  bash "${MAKE_JRE:-/work/shared/device/make-jre.sh}" "$dest" >/dev/null
du -sh "$dest"
