package org.mtflow.kernels.aparapi;

/**
 * The reductions of CPU devices to per-work-item float partials (the host adds them in double, in
 * work-item order): work-item w folds the contiguous elements [w·chunk, (w+1)·chunk) into
 * {@link #LANES} interleaved accumulators (lane l takes elements l, l + 64, …; OpenCL may not
 * reorder one float sum), adds the tail to lane 0, then combines the lanes pairwise in a fixed order.
 *
 * <p>It runs as hand-written OpenCL C, {@code reduce-cpu.cl} beside this class (see {@link
 * OpenCLSources}), which keeps the 64 lanes in eight float8 registers. Written in Java the lanes are
 * a private array, which Aparapi makes a member of the kernel's argument struct: LLVM then loads and
 * stores them on every step and checks at run time that they do not overlap the input. The Java
 * body below is the same computation lane by lane, with bit-identical results: the reference, and
 * what Aparapi compiles if the source cannot be injected.
 */
public final class ReduceCpuKernel extends BitsKernel {
    static final int SUM = ReduceKernel.SUM;
    static final int SUM_ABS = ReduceKernel.SUM_ABS;
    static final int SUM_SQUARES = ReduceKernel.SUM_SQUARES;
    static final int DOT = ReduceKernel.DOT;
    /** Java's Math.max over the elements (NaN propagates; +0 beats −0); starts from {@link #init}. */
    static final int MAX = ReduceKernel.MAX;

    static final int LANES = 64;

    float[] a = new float[1];
    float[] b = new float[1];
    float[] partial = new float[1];
    /** Per-work-item accumulators (OpenCL private memory). */
    @PrivateMemorySpace(LANES)
    float[] lanes = new float[LANES];
    int n;
    int chunk = 1 << 14;
    int op;
    /** −∞ for MAX (from the host: Aparapi cannot print an infinite literal). */
    float init;

    void set(int op, float[] a, float[] b, float[] partial, int chunk) {
        this.op = op;
        this.a = a;
        this.b = b;
        this.partial = partial;
        this.n = a.length;
        this.chunk = chunk;
        this.init = Float.NEGATIVE_INFINITY;
    }

    void release() {
        a = b = partial = new float[1];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        int lo = w * chunk;
        int hi = lo + min(chunk, n - lo);
        int hiLanes = lo + ((hi - lo) / LANES) * LANES;
        float start = 0f;
        if (op == MAX) {
            start = init;
        }
        for (int l = 0; l < LANES; l++) {
            lanes[l] = start;
        }
        // Lane l accumulates elements lo + l, lo + l + LANES, …
        if (op == SUM) {
            for (int i = lo; i < hiLanes; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] += a[i + l];
                }
            }
            for (int i = hiLanes; i < hi; i++) {
                lanes[0] += a[i];
            }
        } else if (op == SUM_ABS) {
            for (int i = lo; i < hiLanes; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] += abs(a[i + l]);
                }
            }
            for (int i = hiLanes; i < hi; i++) {
                lanes[0] += abs(a[i]);
            }
        } else if (op == SUM_SQUARES) {
            for (int i = lo; i < hiLanes; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] = fma(a[i + l], a[i + l], lanes[l]);
                }
            }
            for (int i = hiLanes; i < hi; i++) {
                lanes[0] = fma(a[i], a[i], lanes[0]);
            }
        } else if (op == DOT) {
            for (int i = lo; i < hiLanes; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] = fma(a[i + l], b[i + l], lanes[l]);
                }
            }
            for (int i = hiLanes; i < hi; i++) {
                lanes[0] = fma(a[i], b[i], lanes[0]);
            }
        } else if (op == MAX) {
            for (int i = lo; i < hiLanes; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] = javaMax(lanes[l], a[i + l]);
                }
            }
            for (int i = hiLanes; i < hi; i++) {
                lanes[0] = javaMax(lanes[0], a[i]);
            }
        }
        // Combine the lanes pairwise in a fixed order.
        for (int width = LANES / 2; width > 0; width /= 2) {
            for (int l = 0; l < width; l++) {
                float x = lanes[l];
                float y = lanes[l + width];
                lanes[l] = op == MAX ? javaMax(x, y) : x + y;
            }
        }
        partial[w] = lanes[0];
    }
}
