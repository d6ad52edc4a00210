package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;

/**
 * The rank-1 update c [m,n] += alpha·a[i]·b[j] on CPU devices (PoCL, work-group size 1): work-item
 * w owns a tile of {@code tileRows} rows × {@code tileCols} columns of c and runs one vectorizable
 * loop over each row's columns. (The CPU matmul is {@link PackedMatmulKernel}.)
 */
public final class OuterKernel extends Kernel {
    float[] a = new float[1];
    float[] b = new float[1];
    float[] c = new float[1];
    int m;
    int n;
    int tileRows = 1;
    int tileCols = 4096;
    int colTiles = 1;
    float alpha;

    void release() {
        a = b = c = new float[1];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        int r0 = (w / colTiles) * tileRows;
        int j0 = (w % colTiles) * tileCols;
        int r1 = r0 + min(tileRows, m - r0);
        int j1 = j0 + min(tileCols, n - j0);
        for (int r = r0; r < r1; r++) {
            float x = alpha * a[r];
            int cr = r * n;
            for (int j = j0; j < j1; j++) {
                c[cr + j] = fma(x, b[j], c[cr + j]);
            }
        }
    }
}
