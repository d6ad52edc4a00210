package org.mtflow.kernels.aparapi;

/**
 * Uniform draws: element i = min(fma(hi − lo, u, lo), nextDown(hi)) with u = (bits &gt;&gt;&gt; 8)·2⁻²⁴ of
 * Philox draw i, exactly {@link org.mtflow.kernels.random.Philox#toUniform}. The width, lo, the cap
 * and 2⁻²⁴ come from the host so no float literal or subtraction is left to the OpenCL compiler.
 */
public final class RandomKernel extends PhiloxKernel {
    float[] out = new float[1];
    int n;
    int chunk = 4096;
    float width;
    float lo;
    float cap;
    float unit = 0x1.0p-24f;

    void release() {
        out = new float[1];
    }

    @Override
    public void run() {
        int first = getGlobalId() * chunk;
        philoxRange(first, first + min(chunk, n - first));
    }

    @Override
    protected void emit(int i, int bits) {
        out[i] = javaMin(fma(width, (bits >>> 8) * unit, lo), cap);
    }
}
