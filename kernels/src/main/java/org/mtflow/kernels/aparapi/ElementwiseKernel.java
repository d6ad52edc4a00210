package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;

/**
 * Elementwise ops over flat arrays. Each work-item handles a contiguous chunk of {@link #CHUNK}
 * elements: one element per work-item runs an order of magnitude slower on PoCL (DESIGN.md).
 */
public final class ElementwiseKernel extends Kernel {
    static final int CHUNK = 4096;
    static final int ADD = 0;
    static final int SCALE = 1;

    float[] x = new float[1];
    float[] y = new float[1];
    float[] out = new float[1];
    float s;
    int n;
    int op;

    void set(int op, float[] x, float[] y, float s, float[] out) {
        this.op = op;
        this.x = x;
        this.y = y;
        this.s = s;
        this.out = out;
        this.n = out.length;
    }

    int workItems() {
        return (n + CHUNK - 1) / CHUNK;
    }

    @Override
    public void run() {
        int lo = getGlobalId() * CHUNK;
        int hi = min(n, lo + CHUNK);
        if (op == ADD) {
            for (int i = lo; i < hi; i++) {
                out[i] = x[i] + y[i];
            }
        } else {
            for (int i = lo; i < hi; i++) {
                out[i] = s * x[i];
            }
        }
    }
}
