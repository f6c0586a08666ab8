#!/usr/bin/env bash
# Packs what scripts/device/daemon.sh needs on the GPU machine into one payload.tar.xz, as small
# as xz can make it (one run carries 64 MiB with the checkout and the JRE): the runtime jars,
# re-stored without compression so that xz sees the class files, minus annotation-only jars, the
# CUDA fatbin (daemon.sh reads it from the checkout) and protos the daemon does not use; the
# daemon's test classes, AssertJ and the JUnit console; the checkpoint generator.
# Usage: scripts/device/assemble.sh /tmp/ft-assembled && scripts/device/daemon-assemble.sh /tmp/ft-assembled [DEST]
# Then: run(command="bash .dev/daemon/daemon.sh", carry=[".dev/daemon", ".device"]).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
src=$(realpath "$1")
dest=$(realpath -m "${2:-/work/main/.dev/daemon}")
slim=$(mktemp -d)
mkdir -p "$slim/lib" "$slim/test-lib" "$slim/test-classes/io/flashtensors/format"
restore() { # jar, destination: the same entries, stored
  local d; d=$(mktemp -d)
  (cd "$d" && unzip -q -o "$1" && rm -f io/flashtensors/cuda/flashtensors.fatbin && zip -q -0 -r "$2" .)
  rm -rf "$d"
}
for j in "$src"/lib/*.jar; do
  case $(basename "$j") in
    animal-sniffer*|annotations-*|error_prone*|j2objc*|jsr305*|jspecify*|listenablefuture*|proto-google-common-protos*) ;;
    *) restore "$j" "$slim/lib/$(basename "$j")" ;;
  esac
done
for j in "$src"/test-lib/*.jar; do restore "$j" "$slim/test-lib/$(basename "$j")"; done
cp -r "$src/test-classes/io/flashtensors/server" "$slim/test-classes/io/flashtensors/"
cp "$src"/test-classes/io/flashtensors/format/TestTensors*.class "$slim/test-classes/io/flashtensors/format/"
cp -r "$src/bench" "$slim/bench"
rm -rf "$dest" && mkdir -p "$dest"
tar cf - -C "$slim" . | xz -9e -T2 > "$dest/payload.tar.xz"
cp "$root/scripts/device/daemon.sh" "$dest/daemon.sh"
# The device JRE has no java.xml, but Jackson's databind names org.w3c.dom.Node and Document in a
# static initializer: two empty interfaces (scripts/device/dom-stubs) stand in for them there.
stubs=$(mktemp -d)
"${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/javac" --patch-module java.xml="$root/scripts/device/dom-stubs" \
  -d "$stubs" "$root"/scripts/device/dom-stubs/org/w3c/dom/*.java
"${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/jar" cf "$dest/dom-stubs.jar" -C "$stubs" .
rm -rf "$stubs"
rm -rf "$slim"
du -sh "$dest"/*
