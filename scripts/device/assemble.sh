#!/usr/bin/env bash
# Assembles what the GPU machine needs for GPU tests and benchmarks, lean (one run carries at most
# 64 MiB, the JRE included):
#   jars of flashtensors-core and its runtime dependencies (JCuda's natives cut down to the driver
#   and runtime bindings), test classes, AssertJ, the JUnit console launcher, and the scripts.
# Usage (here): scripts/device/assemble.sh [DEST]   default DEST: /work/main/.dev/<branch>
# Then: run(command="bash .dev/<branch>/run.sh", carry=[".dev/<branch>"]).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
branch=$(git -C "$root" rev-parse --abbrev-ref HEAD)
dest=$(realpath -m "${1:-/work/main/.dev/$branch}")
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
m2=${M2_REPO:-$HOME/.m2/repository}

cd "$root"
./mvnw -B -q -pl flashtensors-core -am package -DskipTests -Dspotless.check.skip=true
version=$(./mvnw -B -q -pl flashtensors-core help:evaluate -Dexpression=project.version -DforceStdout)
junit=$(./mvnw -B -q -pl flashtensors-core help:evaluate -Dexpression=junit-jupiter.version -DforceStdout 2>/dev/null || true)
[[ "$junit" =~ ^[0-9] ]] || junit=6.0.3
./mvnw -B -q -pl flashtensors-core dependency:list -DincludeScope=test -DoutputFile=/tmp/ft-deps.txt >/dev/null
assertj=$(sed -n 's/.*org.assertj:assertj-core:jar:\([^:]*\):test.*/\1/p' /tmp/ft-deps.txt | head -1)

rm -rf "$dest"
mkdir -p "$dest/lib" "$dest/test-lib" "$dest/bench"
cp "flashtensors-core/target/flashtensors-core-$version.jar" "$dest/lib/"
for jar in flashtensors-core/target/lib/*.jar; do
  case "$(basename "$jar")" in
    jcuda-natives-*)
      # 26 MB, 24 of them the PTX compiler binding we never load: keep driver and runtime only.
      tmp=$(mktemp -d)
      (cd "$tmp" && unzip -q "$root/$jar" 'lib/libJCudaDriver-*' 'lib/libJCudaRuntime-*' \
        && zip -q -r "$dest/lib/$(basename "$jar")" lib)
      rm -rf "$tmp"
      ;;
    *) cp "$jar" "$dest/lib/" ;;
  esac
done
cp -r flashtensors-core/target/test-classes "$dest/test-classes"
cp "$m2/org/assertj/assertj-core/$assertj/assertj-core-$assertj.jar" "$dest/test-lib/"
standalone="$m2/org/junit/platform/junit-platform-console-standalone/$junit/junit-platform-console-standalone-$junit.jar"
if [ ! -f "$standalone" ]; then
  ./mvnw -B -q dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit"
fi
cp "$standalone" "$dest/test-lib/"
# Java 25 runtime for a machine without Java: the shared one's modules plus java.xml and java.sql,
# which Jackson needs once it serialises (the shared .device/jre.tar.xz lacks them).
jdk=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
jre=$(mktemp -d)
"$jdk/bin/jlink" --add-modules \
  java.base,jdk.unsupported,java.logging,java.management,jdk.incubator.vector,java.net.http,java.xml,java.sql \
  --strip-debug --no-header-files --no-man-pages --compress zip-9 --output "$jre/jre" 2>/dev/null
tar -C "$jre" -cf - jre | xz -6 -T0 > "$dest/jre.tar.xz"
rm -rf "$jre"
cp scripts/device/run.sh "$dest/run.sh"
cp scripts/bench/*.py "$dest/bench/"
chmod +x "$dest/run.sh"

size=$(du -sm "$dest" | cut -f1)
echo "assembled $dest: ${size} MiB; run with carry [\".dev/$branch\"], command: bash .dev/$branch/run.sh"
if [ "$size" -ge 60 ]; then
  echo "too large for one run (64 MiB)" >&2
  exit 1
fi
