#!/usr/bin/env bash
# Runs a benchmark from bench/src/main/java/org/mtflow/bench with libjsig preloaded, e.g.
#   flock /tmp/mtflow-bench.lock bench/run.sh KernelBench --ops matmul --sizes 1024
# Extra JVM flags go in JAVA_OPTS (e.g. JAVA_OPTS=-Xmx8g).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:?usage: bench/run.sh BENCH [args...]}"; shift
cd "$ROOT"
# PoCL (the OpenCL device the kernel figures need) and the datasets, installed when missing.
# shellcheck source=../scripts/deps.sh
source "$ROOT/scripts/deps.sh"
mtflow_ensure_packages || true
# Build and resolve the classpath in one reactor run, so it names this checkout's module jars
# (a separate `-pl bench dependency:build-classpath` takes mtflow-* from ~/.m2, i.e. whatever was
# installed last). Maven 3.8 prints colour resets even with style.color=never: strip them.
mvn -B -q -Dstyle.color=never -pl bench -am package dependency:build-classpath -DskipTests \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g' >&2
CP="$(cat bench/target/classpath.txt)"
JAVA_HOME_DIR="${JAVA_HOME:-$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.home/ {print $2; exit}')}"
export LD_PRELOAD="$JAVA_HOME_DIR/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$ROOT/bench/target/pocl-cache}"
# --add-modules jdk.incubator.vector: JavaOps' Vector API loops (casts, reductions, mask); without it
# the plain loops run (JAVA_OPTS=-Dmtflow.kernels.scalar=true measures those with the module loaded).
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
exec java -XX:LoopUnrollLimit=250 --add-modules jdk.incubator.vector ${JAVA_OPTS:-} -cp "bench/target/classes:$CP" "org.mtflow.bench.$NAME" "$@"
