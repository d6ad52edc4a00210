package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;

/** Partial sums: work-item w sums chunk w of {@link #CHUNK} elements; the host adds the partials. */
public final class ReduceKernel extends Kernel {
    static final int CHUNK = 1 << 14;

    float[] x = new float[1];
    float[] partial = new float[1];
    int n;

    void set(float[] x, float[] partial) {
        this.x = x;
        this.partial = partial;
        this.n = x.length;
    }

    static int workItems(int n) {
        return (n + CHUNK - 1) / CHUNK;
    }

    @Override
    public void run() {
        int w = getGlobalId();
        int lo = w * CHUNK;
        int hi = min(n, lo + CHUNK);
        float s = 0f;
        for (int i = lo; i < hi; i++) {
            s += x[i];
        }
        partial[w] = s;
    }
}
