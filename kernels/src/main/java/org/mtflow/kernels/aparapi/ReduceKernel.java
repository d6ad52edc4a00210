package org.mtflow.kernels.aparapi;

/**
 * Reductions to per-work-item float partials that the host adds in double, in work-item order: the
 * result depends on the block layout only, never on the thread count.
 *
 * <p>CPU layout ({@code stride == 1}): work-item w sums the contiguous elements
 * [w·chunk, (w+1)·chunk) into eight interleaved float accumulators (independent adds that the
 * compiler can keep in vector lanes, since OpenCL may not reorder one float sum). GPU layout
 * ({@code stride} = the number of work-items): work-item w sums elements w, w + stride, … so that
 * neighbouring work-items read neighbouring elements.
 *
 * <p>{@link #SUM_ROWS} is the column sum of a [rows, cols] matrix: work-item (row block, column
 * chunk) writes the column sums of its block to {@code partial[rowBlock·cols + c]}.
 */
public final class ReduceKernel extends BitsKernel {
    static final int SUM = 0;
    static final int SUM_ABS = 1;
    static final int SUM_SQUARES = 2;
    static final int DOT = 3;
    /** Java's Math.max over the elements (NaN propagates; +0 beats −0); starts from {@link #init}. */
    static final int MAX = 4;
    static final int SUM_ROWS = 5;

    float[] a = new float[1];
    float[] b = new float[1];
    float[] partial = new float[1];
    int n;
    int chunk = 1 << 14;
    int stride = 1;
    int op;
    /** −∞ for MAX (from the host: Aparapi cannot print an infinite literal). */
    float init;
    int rows;
    int cols;
    int rowBlock;
    int colChunk;
    int colChunks;

    void set(int op, float[] a, float[] b, float[] partial, int chunk, int stride) {
        this.op = op;
        this.a = a;
        this.b = b;
        this.partial = partial;
        this.n = a.length;
        this.chunk = chunk;
        this.stride = stride;
        this.init = Float.NEGATIVE_INFINITY;
    }

    void setSumRows(float[] x, int rows, int cols, float[] partial, int rowBlock, int colChunk) {
        this.op = SUM_ROWS;
        this.a = x;
        this.partial = partial;
        this.rows = rows;
        this.cols = cols;
        this.rowBlock = rowBlock;
        this.colChunk = colChunk;
        this.colChunks = (cols + colChunk - 1) / colChunk;
    }

    void release() {
        a = b = partial = new float[1];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        if (op == SUM_ROWS) {
            sumRows(w);
        } else if (stride == 1) {
            contiguous(w);
        } else {
            strided(w);
        }
    }

    private void contiguous(int w) {
        int lo = w * chunk;
        int hi = lo + min(chunk, n - lo);
        int hi8 = lo + ((hi - lo) / 8) * 8;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        if (op == MAX) {
            s0 = init; s1 = init; s2 = init; s3 = init; s4 = init; s5 = init; s6 = init; s7 = init;
            for (int i = lo; i < hi8; i += 8) {
                s0 = javaMax(s0, a[i]);
                s1 = javaMax(s1, a[i + 1]);
                s2 = javaMax(s2, a[i + 2]);
                s3 = javaMax(s3, a[i + 3]);
                s4 = javaMax(s4, a[i + 4]);
                s5 = javaMax(s5, a[i + 5]);
                s6 = javaMax(s6, a[i + 6]);
                s7 = javaMax(s7, a[i + 7]);
            }
            for (int i = hi8; i < hi; i++) {
                s0 = javaMax(s0, a[i]);
            }
            partial[w] = javaMax(javaMax(javaMax(s0, s1), javaMax(s2, s3)), javaMax(javaMax(s4, s5), javaMax(s6, s7)));
        } else {
            if (op == SUM) {
                for (int i = lo; i < hi8; i += 8) {
                    s0 += a[i];
                    s1 += a[i + 1];
                    s2 += a[i + 2];
                    s3 += a[i + 3];
                    s4 += a[i + 4];
                    s5 += a[i + 5];
                    s6 += a[i + 6];
                    s7 += a[i + 7];
                }
                for (int i = hi8; i < hi; i++) {
                    s0 += a[i];
                }
            } else if (op == SUM_ABS) {
                for (int i = lo; i < hi8; i += 8) {
                    s0 += abs(a[i]);
                    s1 += abs(a[i + 1]);
                    s2 += abs(a[i + 2]);
                    s3 += abs(a[i + 3]);
                    s4 += abs(a[i + 4]);
                    s5 += abs(a[i + 5]);
                    s6 += abs(a[i + 6]);
                    s7 += abs(a[i + 7]);
                }
                for (int i = hi8; i < hi; i++) {
                    s0 += abs(a[i]);
                }
            } else if (op == SUM_SQUARES) {
                for (int i = lo; i < hi8; i += 8) {
                    s0 = fma(a[i], a[i], s0);
                    s1 = fma(a[i + 1], a[i + 1], s1);
                    s2 = fma(a[i + 2], a[i + 2], s2);
                    s3 = fma(a[i + 3], a[i + 3], s3);
                    s4 = fma(a[i + 4], a[i + 4], s4);
                    s5 = fma(a[i + 5], a[i + 5], s5);
                    s6 = fma(a[i + 6], a[i + 6], s6);
                    s7 = fma(a[i + 7], a[i + 7], s7);
                }
                for (int i = hi8; i < hi; i++) {
                    s0 = fma(a[i], a[i], s0);
                }
            } else if (op == DOT) {
                for (int i = lo; i < hi8; i += 8) {
                    s0 = fma(a[i], b[i], s0);
                    s1 = fma(a[i + 1], b[i + 1], s1);
                    s2 = fma(a[i + 2], b[i + 2], s2);
                    s3 = fma(a[i + 3], b[i + 3], s3);
                    s4 = fma(a[i + 4], b[i + 4], s4);
                    s5 = fma(a[i + 5], b[i + 5], s5);
                    s6 = fma(a[i + 6], b[i + 6], s6);
                    s7 = fma(a[i + 7], b[i + 7], s7);
                }
                for (int i = hi8; i < hi; i++) {
                    s0 = fma(a[i], b[i], s0);
                }
            }
            partial[w] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }
    }

    private void strided(int w) {
        float s = 0f;
        if (op == MAX) {
            s = init;
            for (int i = w; i < n; i += stride) {
                s = javaMax(s, a[i]);
            }
        } else if (op == SUM) {
            for (int i = w; i < n; i += stride) {
                s += a[i];
            }
        } else if (op == SUM_ABS) {
            for (int i = w; i < n; i += stride) {
                s += abs(a[i]);
            }
        } else if (op == SUM_SQUARES) {
            for (int i = w; i < n; i += stride) {
                s = fma(a[i], a[i], s);
            }
        } else if (op == DOT) {
            for (int i = w; i < n; i += stride) {
                s = fma(a[i], b[i], s);
            }
        }
        partial[w] = s;
    }

    private void sumRows(int w) {
        int rb = w / colChunks;
        int c0 = (w % colChunks) * colChunk;
        int c1 = c0 + min(colChunk, cols - c0);
        int r0 = rb * rowBlock;
        int r1 = r0 + min(rowBlock, rows - r0);
        if (r0 < rows) {
            int p = rb * cols;
            for (int c = c0; c < c1; c++) {
                partial[p + c] = 0f;
            }
            for (int r = r0; r < r1; r++) {
                int x = r * cols;
                for (int c = c0; c < c1; c++) {
                    partial[p + c] += a[x + c];
                }
            }
        }
    }
}
