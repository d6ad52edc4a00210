package org.mtflow.kernels.aparapi;

/**
 * Row-wise ops over a [rows, cols] matrix: work-item w owns rows [w·rowsPerItem, …) and runs
 * ordinary loops along each row (CPU: enough rows per item to amortise a launch; GPU: one row each).
 *
 * <ul>
 *   <li>{@link #SOFTMAX}: out = exp(a − max) / Σ, per row.
 *   <li>{@link #CROSS_ENTROPY}: loss[r] = log Σ exp(a − max) + max − a[label]; when {@code withGrad},
 *       out = (softmax − onehot) · gradScale. out may be a (the label logit is read first).
 *   <li>{@link #ARGMAX}: index[r] = the first column holding the row's maximum (strict &gt; scan).
 *   <li>{@link #ADD_BIAS}: out = a + bias[c].
 *   <li>{@link #ROW_TOPK}: out = 1 for the k largest |a| of the row (ties to the lower column), found
 *       by a radix select over the bits of |a| (8 + 8 + 8 + 7 bits) in a 256-bin histogram per
 *       work-item ({@code hist[w·256 …]}), then one marking pass.
 * </ul>
 */
public final class RowKernel extends BitsKernel {
    static final int SOFTMAX = 0;
    static final int CROSS_ENTROPY = 1;
    static final int ARGMAX = 2;
    static final int ADD_BIAS = 3;
    static final int ROW_TOPK = 4;

    float[] a = new float[1];
    float[] bias = new float[1];
    float[] out = new float[1];
    float[] loss = new float[1];
    int[] labels = new int[1];
    int[] index = new int[1];
    int[] hist = new int[256];
    int rows;
    int cols;
    int rowsPerItem = 1;
    int op;
    int withGrad;
    float gradScale;
    int k;

    void set(int op, float[] a, int rows, int cols, int rowsPerItem) {
        this.op = op;
        this.a = a;
        this.rows = rows;
        this.cols = cols;
        this.rowsPerItem = rowsPerItem;
    }

    void release() {
        a = bias = out = loss = new float[1];
        labels = index = new int[1];
        hist = new int[256];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        int r0 = w * rowsPerItem;
        int r1 = r0 + min(rowsPerItem, rows - r0);
        for (int r = r0; r < r1; r++) {
            int base = r * cols;
            if (op == SOFTMAX) {
                softmax(base);
            } else if (op == CROSS_ENTROPY) {
                crossEntropy(r, base);
            } else if (op == ARGMAX) {
                int best = 0;
                float bestValue = a[base];
                for (int c = 1; c < cols; c++) {
                    float v = a[base + c];
                    if (v > bestValue) {
                        best = c;
                        bestValue = v;
                    }
                }
                index[r] = best;
            } else if (op == ADD_BIAS) {
                for (int c = 0; c < cols; c++) {
                    out[base + c] = a[base + c] + bias[c];
                }
            } else if (op == ROW_TOPK) {
                rowTopk(w * 256, base);
            }
        }
    }

    /** The row's maximum (eight lanes; NaN handling is float tolerance here). */
    private float rowMax(int base) {
        float m0 = a[base], m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0;
        int c8 = (cols / 8) * 8;
        for (int c = 0; c < c8; c += 8) {
            m0 = max(m0, a[base + c]);
            m1 = max(m1, a[base + c + 1]);
            m2 = max(m2, a[base + c + 2]);
            m3 = max(m3, a[base + c + 3]);
            m4 = max(m4, a[base + c + 4]);
            m5 = max(m5, a[base + c + 5]);
            m6 = max(m6, a[base + c + 6]);
            m7 = max(m7, a[base + c + 7]);
        }
        for (int c = c8; c < cols; c++) {
            m0 = max(m0, a[base + c]);
        }
        return max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)));
    }

    /** Writes exp(a − m) to out along the row and returns their sum. */
    private float expAndSum(int base, float m) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int c8 = (cols / 8) * 8;
        for (int c = 0; c < c8; c += 8) {
            int i = base + c;
            float e0 = exp(a[i] - m), e1 = exp(a[i + 1] - m), e2 = exp(a[i + 2] - m), e3 = exp(a[i + 3] - m);
            float e4 = exp(a[i + 4] - m), e5 = exp(a[i + 5] - m), e6 = exp(a[i + 6] - m), e7 = exp(a[i + 7] - m);
            out[i] = e0;
            out[i + 1] = e1;
            out[i + 2] = e2;
            out[i + 3] = e3;
            out[i + 4] = e4;
            out[i + 5] = e5;
            out[i + 6] = e6;
            out[i + 7] = e7;
            s0 += e0;
            s1 += e1;
            s2 += e2;
            s3 += e3;
            s4 += e4;
            s5 += e5;
            s6 += e6;
            s7 += e7;
        }
        for (int c = c8; c < cols; c++) {
            float e = exp(a[base + c] - m);
            out[base + c] = e;
            s0 += e;
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    private void softmax(int base) {
        float m = rowMax(base);
        float inv = 1f / expAndSum(base, m);
        for (int c = 0; c < cols; c++) {
            out[base + c] *= inv;
        }
    }

    private void crossEntropy(int r, int base) {
        int label = labels[r];
        float target = a[base + label];
        float m = rowMax(base);
        float s = 0f;
        if (withGrad != 0) {
            s = expAndSum(base, m);
            float scale = gradScale / s;
            for (int c = 0; c < cols; c++) {
                out[base + c] *= scale;
            }
            out[base + label] -= gradScale;
        } else {
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            int c4 = (cols / 4) * 4;
            for (int c = 0; c < c4; c += 4) {
                s0 += exp(a[base + c] - m);
                s1 += exp(a[base + c + 1] - m);
                s2 += exp(a[base + c + 2] - m);
                s3 += exp(a[base + c + 3] - m);
            }
            for (int c = c4; c < cols; c++) {
                s0 += exp(a[base + c] - m);
            }
            s = (s0 + s1) + (s2 + s3);
        }
        loss[r] = log(s) + m - target;
    }

    /**
     * Marks the k largest |a| of the row. Finds t, the k-th largest of the bits of |a| (which order
     * like the magnitudes), digit by digit from the top; then marks every |a| above t and the first
     * {@code need} equal to t.
     */
    private void rowTopk(int h, int base) {
        int prefix = 0;
        int need = k;
        int shift = 23;
        int width = 8;
        for (int pass = 0; pass < 4; pass++) {
            if (pass == 3) {
                shift = 0;
                width = 7;
            }
            for (int d = 0; d < 256; d++) {
                hist[h + d] = 0;
            }
            int mask = (1 << width) - 1;
            int top = shift + width;
            for (int c = 0; c < cols; c++) {
                int v = floatBits(a[base + c]) & 0x7FFFFFFF;
                if ((v >>> top) == prefix) {
                    hist[h + ((v >>> shift) & mask)]++;
                }
            }
            // Scan from the top digit down: the digit holding the need-th largest of this prefix.
            int digit = 0;
            int found = 0;
            for (int d = mask; d >= 0; d--) {
                int count = hist[h + d];
                if (found == 0) {
                    if (count >= need) {
                        digit = d;
                        found = 1;
                    } else {
                        need -= count;
                    }
                }
            }
            prefix = (prefix << width) | digit;
            shift -= 8;
        }
        for (int c = 0; c < cols; c++) {
            int v = floatBits(a[base + c]) & 0x7FFFFFFF;
            float mark = 0f;
            if (v > prefix) {
                mark = 1f;
            }
            if (v == prefix && need > 0) {
                mark = 1f;
                need--;
            }
            out[base + c] = mark;
        }
    }
}
