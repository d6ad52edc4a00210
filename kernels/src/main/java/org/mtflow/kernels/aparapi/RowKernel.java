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

    static final int LANES = 16;

    float[] a = new float[1];
    float[] bias = new float[1];
    float[] out = new float[1];
    float[] loss = new float[1];
    int[] labels = new int[1];
    int[] index = new int[1];
    int[] hist = new int[256];
    @PrivateMemorySpace(LANES)
    float[] lanes = new float[LANES];
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

    /** The row's maximum (fmax: NaN handling is float tolerance here), in sixteen private lanes. */
    private float rowMax(int base) {
        float first = a[base];
        for (int l = 0; l < LANES; l++) {
            lanes[l] = first;
        }
        int cLanes = (cols / LANES) * LANES;
        for (int c = 0; c < cLanes; c += LANES) {
            for (int l = 0; l < LANES; l++) {
                lanes[l] = max(lanes[l], a[base + c + l]);
            }
        }
        for (int c = cLanes; c < cols; c++) {
            lanes[0] = max(lanes[0], a[base + c]);
        }
        for (int width = LANES / 2; width > 0; width /= 2) {
            for (int l = 0; l < width; l++) {
                lanes[l] = max(lanes[l], lanes[l + width]);
            }
        }
        return lanes[0];
    }

    /**
     * Σ_c exp(a − m) over the row, in sixteen private lanes (one vector register; a single float
     * accumulator stays scalar, since OpenCL may not reorder the sum); also writes the exponentials
     * to out when {@code store}.
     */
    private float expSum(int base, float m, int store) {
        for (int l = 0; l < LANES; l++) {
            lanes[l] = 0f;
        }
        int cLanes = (cols / LANES) * LANES;
        if (store != 0) {
            for (int c = 0; c < cols; c++) {
                out[base + c] = exp(a[base + c] - m);
            }
            for (int c = 0; c < cLanes; c += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] += out[base + c + l];
                }
            }
            for (int c = cLanes; c < cols; c++) {
                lanes[0] += out[base + c];
            }
        } else {
            for (int c = 0; c < cLanes; c += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] += exp(a[base + c + l] - m);
                }
            }
            for (int c = cLanes; c < cols; c++) {
                lanes[0] += exp(a[base + c] - m);
            }
        }
        for (int width = LANES / 2; width > 0; width /= 2) {
            for (int l = 0; l < width; l++) {
                lanes[l] += lanes[l + width];
            }
        }
        return lanes[0];
    }

    private void softmax(int base) {
        float m = rowMax(base);
        float inv = 1f / expSum(base, m, 1);
        for (int c = 0; c < cols; c++) {
            out[base + c] *= inv;
        }
    }

    private void crossEntropy(int r, int base) {
        int label = labels[r];
        float target = a[base + label];
        float m = rowMax(base);
        float s = expSum(base, m, withGrad);
        if (withGrad != 0) {
            float scale = gradScale / s;
            for (int c = 0; c < cols; c++) {
                out[base + c] *= scale;
            }
            out[base + label] -= gradScale;
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
