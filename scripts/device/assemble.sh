#!/usr/bin/env bash
# Assembles, here, what scripts/device/run.sh needs on the GPU machine (which has python, torch and
# CUDA but no Java and no Maven) into one folder of two files:
#   run.sh           the script that runs there
#   payload.tar.xz   a Java 25 runtime (jlink: java.base, jdk.unsupported, java.logging,
#                    java.management, jdk.incubator.vector, java.net.http, and java.xml + java.sql,
#                    which Jackson's databind links against), the core jar (CUDA fatbin inside) and
#                    its runtime jars, the test classes, AssertJ, the JUnit console launcher, and
#                    the Python helpers (scripts/bench/*.py, make_full_size_reference.py).
# What travels with one device call is limited to 64 MiB, the checkout included, so the payload is
# packed for size: the runtime image is linked uncompressed and the jars are re-stored without
# compression, so that one xz stream sees the class files themselves (about half the size of the
# jars as shipped); JCuda's natives keep only the driver and runtime bindings, grpc-netty-shaded
# only its Linux x86-64 libraries. Test resources and fixtures are not packed: run.sh reads them
# from the checkout that travels with every call (assemble.sh warns when that checkout's differ
# from the tree being packed).
#
# Usage (here):  scripts/device/assemble.sh [DEST]     DEST defaults to /work/main/.dev/<branch>
# Then one device call, from the checkout DEST lies in:
#   run(command="bash .dev/<branch>/run.sh tests daemon", carry=[".dev/<branch>"])
# (modes: see run.sh). XZ_LEVEL (default -9e) trades assembly time for size.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
branch=$(git -C "$root" rev-parse --abbrev-ref HEAD)
dest=$(realpath -m "${1:-/work/main/.dev/$branch}")
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
m2=${M2_REPO:-$HOME/.m2/repository}
MODULES=java.base,jdk.unsupported,java.logging,java.management,jdk.incubator.vector,java.net.http,java.xml,java.sql

cd "$root"
./mvnw -B -q -pl flashtensors-core -am package -DskipTests -Dspotless.check.skip=true
cpfile=$(mktemp)
./mvnw -B -q -pl flashtensors-core dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$cpfile" >/dev/null
core=$(ls flashtensors-core/target/flashtensors-core-*.jar | grep -v -e sources -e tests | head -1)

stage=$(mktemp -d)
trap 'rm -rf "$stage" "$cpfile"' EXIT
mkdir -p "$stage/lib" "$stage/test-lib" "$stage/scripts"

# restore JAR DEST [UNZIP-EXCLUDES...]: the same entries, stored uncompressed (xz compresses them).
restore() {
  local jar=$1 out=$2 d
  shift 2
  d=$(mktemp -d)
  (cd "$d" && unzip -q -o "$jar" ${1+-x "$@"} && zip -q -0 -X -r "$out" .)
  rm -rf "$d"
}

restore "$root/$core" "$stage/lib/$(basename "$core")"
junit=""
for jar in $(tr ':' '\n' < "$cpfile"); do
  name=$(basename "$jar")
  case "$name" in
    jcuda-natives-*)
      # 24 of its 26 MB are the PTX compiler and NVRTC bindings, which we never load.
      restore "$jar" "$stage/lib/$name" 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*' ;;
    grpc-netty-shaded-*)
      # Native transports for every platform; the GPU machine is Linux x86-64.
      restore "$jar" "$stage/lib/$name" 'META-INF/native/*osx*' 'META-INF/native/*windows*' \
        'META-INF/native/*aarch_64*' ;;
    junit-platform-launcher-*) junit=${name#junit-platform-launcher-}; junit=${junit%.jar} ;;
    junit-* | opentest4j-* | apiguardian-*) ;; # inside the console launcher
    byte-buddy-*)
      # AssertJ needs it only for soft assertions (proxies); pack it only when a test uses them.
      if grep -rlq 'SoftAssertions' flashtensors-core/target/test-classes; then
        restore "$jar" "$stage/test-lib/$name"
      fi
      ;;
    *)
      if [ -f "flashtensors-core/target/lib/$name" ]; then
        restore "$jar" "$stage/lib/$name"
      else
        restore "$jar" "$stage/test-lib/$name" # test scope: AssertJ
      fi
      ;;
  esac
done
[ -n "$junit" ] || { echo "junit-platform-launcher not on the test class path" >&2; exit 1; }
standalone="$m2/org/junit/platform/junit-platform-console-standalone/$junit/junit-platform-console-standalone-$junit.jar"
[ -f "$standalone" ] ||
  ./mvnw -B -q dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit"
restore "$standalone" "$stage/test-lib/junit-platform-console-standalone.jar"

# Test classes only; their resources and the fixtures come from the checkout.
mkdir -p "$stage/test-classes"
(cd flashtensors-core/target/test-classes && find . -name '*.class' -print0 | tar --null -T - -cf -) |
  tar xf - -C "$stage/test-classes"

cp scripts/bench/*.py scripts/device/summary.py scripts/reference/make_full_size_reference.py "$stage/scripts/"
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
  --compress zip-0 --output "$stage/jre" 2>/dev/null
{
  echo "commit $(git rev-parse HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)')"
  echo "branch $branch"
  echo "assembled $(date -u +%FT%TZ)"
} > "$stage/BUILD-INFO"

rm -rf "$dest" && mkdir -p "$dest"
tar cf - -C "$stage" . | xz "${XZ_LEVEL:--9e}" -T2 > "$dest/payload.tar.xz"
cp scripts/device/run.sh "$dest/run.sh"
cp "$stage/BUILD-INFO" "$dest/BUILD-INFO"

# The checkout that travels with the call provides fixtures and test resources: they must be ours.
checkout=$(git -C "$dest" rev-parse --show-toplevel 2>/dev/null || true)
if [ -n "$checkout" ] && [ "$checkout" != "$root" ]; then
  for p in fixtures flashtensors-core/src/test/resources; do
    if [ "$(git -C "$checkout" rev-parse "HEAD:$p" 2>/dev/null)" != "$(git rev-parse "HEAD:$p")" ] ||
      ! git -C "$checkout" diff --quiet HEAD -- "$p" || ! git diff --quiet HEAD -- "$p"; then
      echo "warning: $p differs between $checkout and $root; tests on the GPU machine read $checkout's" >&2
    fi
  done
fi

size=$(du -sb "$dest" | cut -f1)
limit=$((64 << 20))
if [ -n "$checkout" ]; then
  # Tracked and untracked-not-ignored files of the checkout travel too.
  tree=$(cd "$checkout" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
  limit=$((limit - tree))
fi
awk -v d="$dest" -v s="$size" -v l="$limit" \
  'BEGIN {printf "assembled %s: %.1f MiB (room for %.1f MiB beside the checkout)\n", d, s / 1048576, l / 1048576}'
echo "device call: command \"bash ${dest#"$checkout"/}/run.sh MODE...\", carry [\"${dest#"$checkout"/}\"]"
if [ "$size" -ge "$limit" ]; then
  echo "too large for one device call" >&2
  exit 1
fi
