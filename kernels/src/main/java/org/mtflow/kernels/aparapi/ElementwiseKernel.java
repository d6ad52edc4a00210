package org.mtflow.kernels.aparapi;

/**
 * Elementwise ops over flat arrays, one op code per op. Work-item w handles elements
 * [w·chunk, (w+1)·chunk): on a CPU (work-group size 1) a chunk of 4096 is one vectorized loop per
 * PoCL thread, where one element per work-item runs ten times slower (DESIGN.md); on a GPU chunk is
 * 1, so neighbouring work-items touch neighbouring elements (coalesced).
 *
 * <p>The exact ops use only correctly rounded single operations (+, −, ×, fma, compares and
 * selects), so they are bit-identical to Java. {@code out} may be the same array as {@code a} or
 * {@code b}: each element is read before it is written, and only {@code out} is written.
 */
public final class ElementwiseKernel extends BitsKernel {
    static final int ADD = 0;
    static final int SUB = 1;
    static final int MUL = 2;
    static final int SCALE = 3;
    /** out = fma(s, a, out). */
    static final int AXPY = 4;
    /** out = min(max(a, s), t), Java semantics. */
    static final int CLAMP = 5;
    /** out = Math.signum(a). */
    static final int SIGN = 6;
    static final int ABS = 7;
    /** out = Math.max(a, 0). */
    static final int RELU = 8;
    /** out = a &gt; 0 ? b : 0 (a = x, b = gradOut). */
    static final int RELU_BACKWARD = 9;
    static final int GELU = 10;
    /** out = b · gelu'(a) (a = x, b = gradOut). */
    static final int GELU_BACKWARD = 11;
    static final int FILL = 12;
    static final int COPY = 13;
    /** out = |a| ≥ s ? 1 : 0. */
    static final int MASK_AT_LEAST = 14;
    /** out = s·a + t·b: SLERP's final combination. */
    static final int LINCOMB = 15;
    static final int OPS = 16;

    float[] a = new float[1];
    float[] b = new float[1];
    float[] out = new float[1];
    float s;
    float t;
    int n;
    int chunk = 4096;
    int op;

    void set(int op, float[] a, float[] b, float s, float t, float[] out, int chunk) {
        this.op = op;
        this.a = a;
        this.b = b;
        this.s = s;
        this.t = t;
        this.out = out;
        this.n = out.length;
        this.chunk = chunk;
    }

    /** Drops the references to the caller's arrays. */
    void release() {
        a = b = out = new float[1];
    }

    @Override
    public void run() {
        int lo = getGlobalId() * chunk;
        int hi = lo + min(chunk, n - lo);
        if (op == ADD) {
            for (int i = lo; i < hi; i++) {
                out[i] = a[i] + b[i];
            }
        } else if (op == SUB) {
            for (int i = lo; i < hi; i++) {
                out[i] = a[i] - b[i];
            }
        } else if (op == MUL) {
            for (int i = lo; i < hi; i++) {
                out[i] = a[i] * b[i];
            }
        } else if (op == SCALE) {
            for (int i = lo; i < hi; i++) {
                out[i] = s * a[i];
            }
        } else if (op == AXPY) {
            for (int i = lo; i < hi; i++) {
                out[i] = fma(s, a[i], out[i]);
            }
        } else if (op == CLAMP) {
            for (int i = lo; i < hi; i++) {
                out[i] = javaMin(javaMax(a[i], s), t);
            }
        } else if (op == SIGN) {
            for (int i = lo; i < hi; i++) {
                float x = a[i];
                float r = x;
                if (x > 0f) {
                    r = 1f;
                }
                if (x < 0f) {
                    r = -1f;
                }
                out[i] = r;
            }
        } else if (op == ABS) {
            for (int i = lo; i < hi; i++) {
                out[i] = abs(a[i]);
            }
        } else if (op == RELU) {
            for (int i = lo; i < hi; i++) {
                float x = a[i];
                out[i] = (x > 0f || x != x) ? x : 0f;
            }
        } else if (op == RELU_BACKWARD) {
            for (int i = lo; i < hi; i++) {
                out[i] = a[i] > 0f ? b[i] : 0f;
            }
        } else if (op == GELU) {
            for (int i = lo; i < hi; i++) {
                float x = a[i];
                float u = 0.7978845608f * (x + 0.044715f * x * x * x);
                out[i] = 0.5f * x * (1f + tanh(u));
            }
        } else if (op == GELU_BACKWARD) {
            for (int i = lo; i < hi; i++) {
                float x = a[i];
                float u = 0.7978845608f * (x + 0.044715f * x * x * x);
                float th = tanh(u);
                float du = 0.7978845608f * (1f + 0.134145f * x * x);
                out[i] = b[i] * (0.5f * (1f + th) + 0.5f * x * (1f - th * th) * du);
            }
        } else if (op == FILL) {
            for (int i = lo; i < hi; i++) {
                out[i] = s;
            }
        } else if (op == COPY) {
            for (int i = lo; i < hi; i++) {
                out[i] = a[i];
            }
        } else if (op == MASK_AT_LEAST) {
            for (int i = lo; i < hi; i++) {
                out[i] = abs(a[i]) >= s ? 1f : 0f;
            }
        } else if (op == LINCOMB) {
            for (int i = lo; i < hi; i++) {
                out[i] = s * a[i] + t * b[i];
            }
        }
    }
}
