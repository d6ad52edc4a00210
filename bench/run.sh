#!/usr/bin/env bash
# Runs a benchmark from bench/src/main/java/org/mtflow/bench with libjsig preloaded, e.g.
#   bench/run.sh KernelBench 512 1024
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:?usage: bench/run.sh BENCH [args...]}"; shift
cd "$ROOT"
mvn -B -q -Dstyle.color=never -pl bench -am package -DskipTests >&2
CP="$(mvn -B -q -Dstyle.color=never -pl bench dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=runtime 2>/dev/null | tail -1)"
JAVA_HOME_DIR="${JAVA_HOME:-$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.home/ {print $2; exit}')}"
export LD_PRELOAD="$JAVA_HOME_DIR/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$ROOT/bench/target/pocl-cache}"
exec java -XX:LoopUnrollLimit=250 -cp "bench/target/classes:$CP" "org.mtflow.bench.$NAME" "$@"
