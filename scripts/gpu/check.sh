#!/usr/bin/env bash
# Runs the OpenCL backend's tests (AparapiOpsTest, AparapiKernelsTest) and KernelBench on a GPU
# machine that has neither Java nor an OpenCL ICD loader, from a bundle built beforehand and carried
# as .gpu/ (ignored by git, never committed):
#   .gpu/jre      jlink image of JDK 17 (java.base, logging, management, naming, sql, xml,
#                 jdk.unsupported, jdk.incubator.vector), with lib/libjsig.so
#   .gpu/lib      mtflow-kernels/-devices/-bench jars, the kernels test classes (mtflow-kernels-tests.jar),
#                 aparapi, aparapi-jni (linux x86-64 .so only), bcel, jackson, JUnit 5 + platform launcher
#   .gpu/classes  GpuProbe (lists OpenCL platforms/devices, one checked add launch) and GpuTests
#                 (runs JUnit classes, prints failures, writes a summary); sources in scripts/gpu
#   .gpu/ocl      libOpenCL.so.1 from Debian's ocl-icd-libopencl1
# (scripts/gpu/build-bundle.sh builds it, from the sources beside this script).
# It finds the NVIDIA OpenCL driver (libnvidia-opencl.so*), points an ICD file in /tmp at it, and
# writes under $OUT: gpu-check.log (everything), tests.txt (JUnit summary and failures),
# kernelbench-gpu.txt and kernelbench-gpu.csv, and an hs_err file if a JVM crashed.
# Without an NVIDIA library it is a DRY RUN on whatever OpenCL the system has (PoCL here).
#
# Environment: OUT (default /tmp/gpu-check-out), GPU_CHECK_BUNDLE (default .gpu),
# GPU_CHECK_QUICK=1 (bench only axpy on 1Mi elements: a smoke test), GPU_CHECK_SEED (test seed),
# GPU_CHECK_BUDGET (seconds for the whole script, default 400: the bench gets what the tests left,
# at most GPU_CHECK_BENCH_TIMEOUT, default 240), GPU_CHECK_TEST_TIMEOUT (default 200),
# GPU_CHECK_BENCH_ARGS (replaces the bench's arguments, --csv excepted), GPU_CHECK_OPENCL_LIB (the
# OpenCL driver library to write the ICD file for, instead of searching for libnvidia-opencl).
# Exit 0 when the probe, the tests and the bench all passed; 1 otherwise.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
B="$(cd "${GPU_CHECK_BUNDLE:-$ROOT/.gpu}" 2>/dev/null && pwd)" || { echo "gpu-check: no bundle at ${GPU_CHECK_BUNDLE:-$ROOT/.gpu}"; exit 1; }
OUT="${OUT:-/tmp/gpu-check-out}"
mkdir -p "$OUT"
WORK=/tmp/gpu-check
rm -rf "$WORK"
mkdir -p "$WORK/tmp" "$WORK/vendors" "$WORK/pocl-cache" "$WORK/nv-cache" "$WORK/nvlib"
exec > >(tee -a "$OUT/gpu-check.log") 2>&1
TEE_PID=$!
ulimit -c 0
START=$SECONDS
QUICK="${GPU_CHECK_QUICK:-0}"
BUDGET="${GPU_CHECK_BUDGET:-400}"
TEST_TIMEOUT="${GPU_CHECK_TEST_TIMEOUT:-200}"
BENCH_TIMEOUT="${GPU_CHECK_BENCH_TIMEOUT:-240}"
RESULTS=()
note() { printf '\n=== [%3ds] %s\n' $((SECONDS - START)) "$*"; }
result() { RESULTS+=("$1"); echo "gpu-check: $1"; }

note "gpu-check: bundle $B, output $OUT"
chmod u+x "$B"/jre/bin/* 2>/dev/null
JAVA="$B/jre/bin/java"
JSIG="$B/jre/lib/libjsig.so"
[ -x "$JAVA" ] || { echo "gpu-check: FAILED: no $JAVA"; exit 1; }
[ -f "$JSIG" ] || { echo "gpu-check: FAILED: no $JSIG"; exit 1; }
CP="$B/classes"
for j in "$B"/lib/*.jar; do CP="$CP:$j"; done

note "machine"
uname -a
head -2 /etc/os-release 2>/dev/null
ldd --version 2>/dev/null | head -1
echo "cores: $(nproc)"
if command -v nvidia-smi >/dev/null 2>&1; then
  timeout 30 nvidia-smi -L
  timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,clocks.sm,clocks.max.sm --format=csv
else
  echo "no nvidia-smi"
fi

note "OpenCL: looking for the NVIDIA OpenCL driver (libnvidia-opencl.so*)"
NVLIB="${GPU_CHECK_OPENCL_LIB:-}"
[ -n "$NVLIB" ] && echo "GPU_CHECK_OPENCL_LIB names the driver: $NVLIB"
[ -n "$NVLIB" ] || for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
  for f in "$d"/libnvidia-opencl.so.1 "$d"/libnvidia-opencl.so.[0-9]*; do
    [ -e "$f" ] && { NVLIB="$f"; break 2; }
  done
done
if [ -z "$NVLIB" ]; then
  echo "not in the usual folders; searching / (at most 60 s)"
  timeout 60 find / \( -path /proc -o -path /sys -o -path /dev -o -path "$ROOT" \) -prune -o \
    -name 'libnvidia-opencl.so*' -print 2>/dev/null | head -5 | tee "$WORK/found.txt"
  NVLIB="$(head -1 "$WORK/found.txt")"
fi
ls /etc/OpenCL/vendors/ 2>/dev/null | sed 's/^/system ICD: /'
ldconfig -p 2>/dev/null | grep -i -E 'libOpenCL|libnvidia-opencl|libcuda\.so' | sed 's/^/ldconfig: /'
DRY=0
if [ -n "$NVLIB" ]; then
  NVDIR="$(dirname "$NVLIB")"
  echo "OpenCL driver: $NVLIB"
  ls -la "$NVDIR"/libnvidia-opencl* "$NVDIR"/libcuda.so* "$NVDIR"/libnvidia-ptxjitcompiler* "$NVDIR"/libnvidia-nvvm* 2>/dev/null
  echo "$NVLIB" > "$WORK/vendors/nvidia.icd"
  export OCL_ICD_VENDORS="$WORK/vendors"
  # A driver folder with only versioned files (libcuda.so.580.x): link each under its SONAME.
  if command -v readelf >/dev/null 2>&1 || command -v objdump >/dev/null 2>&1; then
    for f in "$NVDIR"/libcuda.so.[0-9]* "$NVDIR"/libnvidia-*.so.[0-9]*; do
      [ -f "$f" ] || continue
      so="$( (readelf -d "$f" 2>/dev/null || objdump -p "$f" 2>/dev/null) | awk '/SONAME/ { gsub(/[][]/, "", $NF); print $NF; exit }')"
      [ -n "$so" ] && [ ! -e "$NVDIR/$so" ] && ln -sf "$f" "$WORK/nvlib/$so" && echo "linked $so -> $f"
    done
  fi
  export LD_LIBRARY_PATH="$B/ocl:$WORK/nvlib:$NVDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "ICD file $WORK/vendors/nvidia.icd -> $(cat "$WORK/vendors/nvidia.icd")"
  echo "missing libraries of the OpenCL driver (none is good):"
  ldd "$NVLIB" 2>&1 | grep -i 'not found' || echo "  none"
else
  DRY=1
  echo "*** DRY RUN: no libnvidia-opencl found: the bundled loader ($B/ocl/libOpenCL.so.1) with the system's"
  echo "*** ICD files (/etc/OpenCL/vendors), PoCL where installed. Figures and devices below are NOT the GPU's."
  export LD_LIBRARY_PATH="$B/ocl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
echo "OCL_ICD_VENDORS=${OCL_ICD_VENDORS:-(unset: system default)}"
for f in "$B/ocl/libOpenCL.so.1" "$JAVA" "$B/jre/lib/server/libjvm.so"; do
  echo "missing libraries of $f: $(ldd "$f" 2>&1 | grep -c 'not found')"
  ldd "$f" 2>&1 | grep 'not found'
done
export POCL_CACHE_DIR="$WORK/pocl-cache" CUDA_CACHE_PATH="$WORK/nv-cache" TMPDIR="$WORK/tmp"
JOPTS=(-Djava.io.tmpdir="$WORK/tmp" -XX:ErrorFile="$WORK/hs_err_%p.log")
# The flags surefire gives every test JVM (pom.xml surefire.argLine) and those of bench/run.sh.
TEST_FLAGS=(-Xss4m -XX:+UseParallelGC -XX:LoopUnrollLimit=250 --add-modules jdk.incubator.vector)
BENCH_FLAGS=(-XX:LoopUnrollLimit=250 --add-modules jdk.incubator.vector)
# timeout: SIGQUIT first (the JVM prints a thread dump of where it is stuck), SIGKILL 15 s later.
jrun() { local t="$1"; shift; LD_PRELOAD="$JSIG" timeout -s QUIT -k 15 "$t" "$JAVA" "${JOPTS[@]}" "$@"; }
status() { case "$1" in 0) echo passed;; 124) echo "OVER TIME (past its timeout: thread dump in the log; it ended in the 15 s grace)";;
  137) echo "KILLED (exit 137: past its timeout + 15 s grace, or out of memory)";; *) echo "FAILED (exit $1)";; esac; }

note "probe: the OpenCL platforms and devices Aparapi sees, and one add launch (timeout 90 s)"
"$JAVA" -version 2>&1 | sed 's/^/  /'
jrun 90 "${TEST_FLAGS[@]}" -cp "$CP" GpuProbe 2>&1 | grep -v 'Using incubator modules' | tee "$WORK/probe.txt"
rc=${PIPESTATUS[0]}
result "probe: $(status "$rc")"
OPENCL0="$(grep -o 'mtflow device opencl0 *[A-Z_]*' "$WORK/probe.txt" | awk '{print $4}' | tail -1)"
if [ "$DRY" = 0 ] && [ "$OPENCL0" != GPU ]; then echo "*** WARNING: opencl0 is '${OPENCL0:-absent}', not a GPU"; fi

SEED="${GPU_CHECK_SEED:-$(date +%s%N)}"
note "tests: AparapiOpsTest, AparapiKernelsTest with -Dmtflow.test.seed=$SEED (timeout ${TEST_TIMEOUT} s)"
jrun "$TEST_TIMEOUT" "${TEST_FLAGS[@]}" -Dmtflow.test.seed="$SEED" -cp "$CP" GpuTests "$OUT/tests.txt" \
  org.mtflow.kernels.aparapi.AparapiOpsTest org.mtflow.kernels.aparapi.AparapiKernelsTest 2>&1 \
  | grep -v 'Using incubator modules'
rc=${PIPESTATUS[0]}
[ -s "$OUT/tests.txt" ] || echo "tests: no summary written (exit $rc) - see gpu-check.log" > "$OUT/tests.txt"
case "$rc" in
  124) echo "tests: OVER TIME: past the ${TEST_TIMEOUT} s timeout (thread dump in gpu-check.log), ended within the 15 s grace" >> "$OUT/tests.txt" ;;
  137) echo "tests: KILLED $((TEST_TIMEOUT + 15)) s in (exit 137): only the lines above finished; thread dump in gpu-check.log" >> "$OUT/tests.txt" ;;
esac
result "tests (seed $SEED): $(status "$rc"): $(grep -E '^tests: ' "$OUT/tests.txt" | tail -1)"

LEFT=$((BUDGET - (SECONDS - START) - 20))
BT=$((LEFT < BENCH_TIMEOUT ? LEFT : BENCH_TIMEOUT))
[ "$BT" -lt 30 ] && BT=30
if [ -n "${GPU_CHECK_BENCH_ARGS:-}" ]; then
  read -r -a BARGS <<< "$GPU_CHECK_BENCH_ARGS"
elif [ "$QUICK" = 1 ]; then
  BARGS=(--device opencl0 --ops axpy --sizes 256 --elems 1Mi --reps 3 --max-seconds 1)
else
  BARGS=(--device opencl0 --sizes 1024,2048,4096 --reps 10 --max-seconds 5)
fi
note "bench: KernelBench ${BARGS[*]} (timeout $BT s; rows reach the CSV as they finish)"
jrun "$BT" "${BENCH_FLAGS[@]}" -cp "$CP" org.mtflow.bench.KernelBench "${BARGS[@]}" --csv "$OUT/kernelbench-gpu.csv" 2>&1 \
  | grep --line-buffered -v 'Using incubator modules' | tee "$OUT/kernelbench-gpu.txt"
rc=${PIPESTATUS[0]}
result "bench: $(status "$rc"): $(grep -E '^# [0-9]+ rows' "$OUT/kernelbench-gpu.txt" | tail -1)$([ "$rc" = 0 ] || echo " ($(($(wc -l < "$OUT/kernelbench-gpu.csv" 2>/dev/null || echo 1) - 1)) rows in the CSV)")"

for f in "$WORK"/hs_err_*.log; do
  [ -f "$f" ] && { cp "$f" "$OUT/"; echo "JVM crash log: $f (copied to \$OUT)"; break; }
done
note "gpu-check summary$([ "$DRY" = 1 ] && echo ' (DRY RUN, not on a GPU)')"
fail=0
for r in "${RESULTS[@]}"; do
  echo "  $r"
  case "$r" in *": passed"*) ;; *) fail=1 ;; esac
done
echo "gpu-check: $([ "$fail" = 0 ] && echo 'all passed' || echo 'SOMETHING FAILED (see above)') in $((SECONDS - START)) s"
# Let tee write the last lines before the script (and the machine's command) ends.
exec >&- 2>&-
wait "$TEE_PID" 2>/dev/null
exit "$fail"
