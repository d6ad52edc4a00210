// ReduceCpuKernel's OpenCL C (see ReduceCpuKernel.java, whose run() computes the same bits lane by
// lane): Aparapi compiles this in place of the code it would generate from run().
//
// Work-item w folds elements [w·chunk, (w+1)·chunk) into 64 lanes, lane l taking elements l, l + 64,
// …, held as eight float8 registers (acc[v] is lanes 8v … 8v+7); the tail goes to lane 0; the lanes
// are then combined pairwise, halves first (lanes l and l + 32, then l and l + 16, …), as in Java.

#define SUM 0
#define SUM_ABS 1
#define SUM_SQUARES 2
#define DOT 3
#define MAX 4
#define V 8

// Java's Math.max lane by lane: NaN propagates, +0 beats -0.
static float8 java_max8(float8 x, float8 y) {
    float8 r = select(y, x, x >= y);
    r = select(r, y, (x == 0.0f) & (y == 0.0f) & signbit(x));
    return select(r, x, isnan(x));
}

static float java_max(float x, float y) {
    float r = x >= y ? x : y;
    if (x == 0.0f && y == 0.0f && signbit(x)) r = y;
    return isnan(x) ? x : r;
}

static float8 combine8(int op, float8 x, float8 y) {
    return op == MAX ? java_max8(x, y) : x + y;
}

// The arguments Aparapi passes for ReduceCpuKernel's fields, in its order (OpenCLSources checks this
// list against the one Aparapi generates, and injects nothing if they differ).
__kernel void run(
   int chunk,
   int n,
   int op,
   float init,
   __global float *a,
   __global float *b,
   __global float *partial,
   int passid
){
    int w = get_global_id(0);
    int lo = w * chunk;
    int hi = lo + min(chunk, n - lo);
    int hiLanes = lo + ((hi - lo) / (8 * V)) * (8 * V);
    float8 acc[8];
    #pragma unroll
    for (int v = 0; v < 8; v++) acc[v] = (float8) (op == MAX ? init : 0.0f);
    if (op == SUM) {
        for (int i = lo; i < hiLanes; i += 8 * V) {
            #pragma unroll
            for (int v = 0; v < 8; v++) acc[v] += vload8(v, a + i);
        }
        for (int i = hiLanes; i < hi; i++) acc[0].s0 += a[i];
    } else if (op == SUM_ABS) {
        for (int i = lo; i < hiLanes; i += 8 * V) {
            #pragma unroll
            for (int v = 0; v < 8; v++) acc[v] += fabs(vload8(v, a + i));
        }
        for (int i = hiLanes; i < hi; i++) acc[0].s0 += fabs(a[i]);
    } else if (op == SUM_SQUARES) {
        for (int i = lo; i < hiLanes; i += 8 * V) {
            #pragma unroll
            for (int v = 0; v < 8; v++) {
                float8 x = vload8(v, a + i);
                acc[v] = fma(x, x, acc[v]);
            }
        }
        for (int i = hiLanes; i < hi; i++) acc[0].s0 = fma(a[i], a[i], acc[0].s0);
    } else if (op == DOT) {
        for (int i = lo; i < hiLanes; i += 8 * V) {
            #pragma unroll
            for (int v = 0; v < 8; v++) acc[v] = fma(vload8(v, a + i), vload8(v, b + i), acc[v]);
        }
        for (int i = hiLanes; i < hi; i++) acc[0].s0 = fma(a[i], b[i], acc[0].s0);
    } else if (op == MAX) {
        for (int i = lo; i < hiLanes; i += 8 * V) {
            #pragma unroll
            for (int v = 0; v < 8; v++) acc[v] = java_max8(acc[v], vload8(v, a + i));
        }
        for (int i = hiLanes; i < hi; i++) acc[0].s0 = java_max(acc[0].s0, a[i]);
    }
    #pragma unroll
    for (int v = 0; v < 4; v++) acc[v] = combine8(op, acc[v], acc[v + 4]);
    #pragma unroll
    for (int v = 0; v < 2; v++) acc[v] = combine8(op, acc[v], acc[v + 2]);
    float8 x8 = combine8(op, acc[0], acc[1]);
    float4 x4 = op == MAX ? (float4) (java_max(x8.s0, x8.s4), java_max(x8.s1, x8.s5), java_max(x8.s2, x8.s6),
                                      java_max(x8.s3, x8.s7))
                          : x8.lo + x8.hi;
    float2 x2 = op == MAX ? (float2) (java_max(x4.s0, x4.s2), java_max(x4.s1, x4.s3)) : x4.lo + x4.hi;
    partial[w] = op == MAX ? java_max(x2.s0, x2.s1) : x2.s0 + x2.s1;
}
