#!/usr/bin/env bash
# Rebuilds the jars of this bundle from the checkout (run after changing kernels/devices/bench code):
#   scripts/gpu/build-bundle.sh        jars + GpuProbe/GpuTests classes (keeps jre/ and ocl/)
#   scripts/gpu/build-bundle.sh --all  also the jlink JRE and libOpenCL.so.1 (apt-get download)
# Single-threaded Maven (no -T). Then: OUT=/tmp/gc GPU_CHECK_QUICK=1 scripts/gpu/check.sh (dry run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
B="$ROOT/.gpu"
cd "$ROOT"
R="${MAVEN_REPO:-$HOME/.m2/repository}"
mvn -B -o -q -Dstyle.color=never -pl kernels -am package test-compile -DskipTests
mvn -B -o -q -Dstyle.color=never -pl bench -am package -DskipTests
mvn -B -o -q -Dstyle.color=never -pl devices -am package dependency:build-classpath -DskipTests -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test >/dev/null
rm -rf "$B/lib" "$B/classes"
mkdir -p "$B/lib"
cp kernels/target/mtflow-kernels-*.jar devices/target/mtflow-devices-*.jar bench/target/mtflow-bench-*.jar "$B/lib/"
(cd kernels/target/test-classes && jar cf "$B/lib/mtflow-kernels-tests.jar" .)
for j in $(tr ':' '\n' < devices/target/classpath.txt | grep -v '/work/\|/target/'); do
  case "$j" in
    */aparapi-jni-*.jar)  # only the linux x86-64 library (the jar holds every platform's: 19 MB)
      t="$(mktemp -d)"; (cd "$t" && unzip -q "$j" 'META-INF/*' 'com/*' 'linux/libaparapi_x86_64.so' \
        && zip -q -r -9 "$B/lib/$(basename "$j" .jar)-linux-x86_64.jar" META-INF com linux); rm -rf "$t" ;;
    *) cp "$j" "$B/lib/" ;;
  esac
done
cp "$(ls -d "$R"/org/junit/platform/junit-platform-launcher/"$(basename "$(ls "$B"/lib/junit-platform-engine-*.jar)" .jar | sed 's/junit-platform-engine-//')"/*.jar)" "$B/lib/"
CP="$(ls "$B"/lib/*.jar | tr '\n' ':')"
javac --release 17 -d "$B/classes" -cp "$CP" scripts/gpu/*.java
if [ "${1:-}" = --all ]; then
  rm -rf "$B/jre" "$B/ocl"
  jlink --add-modules java.base,java.logging,java.management,java.naming,java.sql,java.xml,jdk.unsupported,jdk.incubator.vector \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$B/jre"
  # jlink makes most of jre/legal/* symbolic links: copy them in (links travel badly to the device).
  for l in $(find "$B/jre/legal" -type l); do t="$(readlink -f "$l")"; rm "$l"; [ -f "$t" ] && cp "$t" "$l"; done
  t="$(mktemp -d)"; (cd "$t" && apt-get download ocl-icd-libopencl1 && dpkg -x ocl-icd-libopencl1_*.deb x)
  mkdir -p "$B/ocl"; cp -L "$t"/x/usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/"; rm -rf "$t"
fi
du -sh "$B"
