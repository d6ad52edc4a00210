package org.mtflow.kernels.aparapi;

/**
 * Reductions to per-work-item float partials that the host adds in double, in work-item order: the
 * result depends on the layout only, never on the thread count. GPU layout: work-item w sums
 * elements w, w + stride, … ({@code stride} = the number of work-items), so that neighbouring
 * work-items read neighbouring elements. (CPU devices reduce with {@link ReduceCpuKernel}.)
 *
 * <p>{@link #SUM_ROWS}, on both device types, is the column sum of a [rows, cols] matrix:
 * work-item (row block, column chunk) writes the column sums of its block to
 * {@code partial[rowBlock·cols + c]}.
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
    int stride = 1;
    int op;
    /** −∞ for MAX (from the host: Aparapi cannot print an infinite literal). */
    float init;
    int rows;
    int cols;
    int rowBlock;
    int colChunk;
    int colChunks;

    void set(int op, float[] a, float[] b, float[] partial, int stride) {
        this.op = op;
        this.a = a;
        this.b = b;
        this.partial = partial;
        this.n = a.length;
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
        } else {
            strided(w);
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
