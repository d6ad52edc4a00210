package org.mtflow.kernels.jvm;

/** The linear-algebra helpers around matmul: bias add, column sums (a bias gradient), rank-1 update. */
final class JavaLinear {
    /** Columns summed by one task of {@link #sumRows}. */
    private static final int COLUMN_CHUNK = 256;

    private JavaLinear() {}

    /** {@code out[r, c] = x[r, c] + bias[c]}; out may alias x. */
    static void addBias(Parallel par, float[] x, float[] bias, int rows, int cols, float[] out) {
        int rpb = JavaReduce.rowsPerBlock(cols);
        par.forEach((rows + rpb - 1) / rpb, (long) rows * cols >= Parallel.MIN_PARALLEL_ELEMENTS, blk -> {
            int r1 = Math.min(rows, blk * rpb + rpb);
            for (int r = blk * rpb; r < r1; r++) {
                int base = r * cols;
                for (int c = 0; c < cols; c++) out[base + c] = x[base + c] + bias[c];
            }
        });
    }

    /**
     * {@code out[c] = Σ_r x[r, c]}: each column summed in double over rows in order by one task (tasks
     * own column chunks), rounded once: the same on any thread count.
     */
    static void sumRows(Parallel par, float[] x, int rows, int cols, float[] out) {
        int chunks = (cols + COLUMN_CHUNK - 1) / COLUMN_CHUNK;
        par.forEach(chunks, (long) rows * cols >= Parallel.MIN_PARALLEL_ELEMENTS, chunk -> {
            int c0 = chunk * COLUMN_CHUNK, w = Math.min(cols, c0 + COLUMN_CHUNK) - c0;
            double[] acc = new double[w];
            for (int r = 0; r < rows; r++) {
                int base = r * cols + c0;
                for (int c = 0; c < w; c++) acc[c] += x[base + c];
            }
            for (int c = 0; c < w; c++) out[c0 + c] = (float) acc[c];
        });
    }

    /** {@code a[i, j] = fma(alpha·x[i], y[j], a[i, j])}. */
    static void outerAccumulate(Parallel par, float alpha, float[] x, float[] y, float[] a) {
        int rows = x.length, cols = y.length;
        int rpb = JavaReduce.rowsPerBlock(cols);
        par.forEach((rows + rpb - 1) / rpb, (long) rows * cols >= Parallel.MIN_PARALLEL_ELEMENTS, blk -> {
            int r1 = Math.min(rows, blk * rpb + rpb);
            for (int r = blk * rpb; r < r1; r++) {
                float s = alpha * x[r];
                int base = r * cols;
                for (int c = 0; c < cols; c++) a[base + c] = Math.fma(s, y[c], a[base + c]);
            }
        });
    }
}
