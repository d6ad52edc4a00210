package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;

/**
 * Matmul for GPU devices: C [m,n] = op(A)·op(B) with the classic local-memory tiling. A 16×16
 * work-group computes a 16×16 tile of C, one element per work-item; for each 16-wide step along k it
 * stages one tile of A and one of B in local memory (each work-item loads one element of each,
 * neighbouring work-items neighbouring columns), then accumulates from local memory. Transposes are
 * strides ({@code aRow}/{@code aCol}, {@code bRow}/{@code bCol}), so no scratch copy is needed.
 *
 * <p>On a CPU (PoCL) this shape is slow — local memory is ordinary memory and the barriers split the
 * work-group into loops — so {@link AparapiOps} uses it only on GPU devices; the tests run it on PoCL
 * for correctness.
 */
public final class MatmulTiledKernel extends Kernel {
    static final int TILE = 16;

    @Local
    float[] aTile = new float[TILE * TILE];
    @Local
    float[] bTile = new float[TILE * TILE];
    float[] a = new float[1];
    float[] b = new float[1];
    float[] c = new float[1];
    int m;
    int k;
    int n;
    int aRow;
    int aCol;
    int bRow;
    int bCol;

    void release() {
        a = b = c = new float[1];
    }

    @Override
    public void run() {
        int j = getGlobalId(0);
        int r = getGlobalId(1);
        int lj = getLocalId(0);
        int lr = getLocalId(1);
        float acc = 0f;
        for (int p0 = 0; p0 < k; p0 += TILE) {
            int pa = p0 + lj;
            float av = 0f;
            if (r < m && pa < k) {
                av = a[r * aRow + pa * aCol];
            }
            aTile[lr * TILE + lj] = av;
            int pb = p0 + lr;
            float bv = 0f;
            if (pb < k && j < n) {
                bv = b[pb * bRow + j * bCol];
            }
            bTile[lr * TILE + lj] = bv;
            localBarrier();
            for (int q = 0; q < TILE; q++) {
                acc = fma(aTile[lr * TILE + q], bTile[q * TILE + lj], acc);
            }
            localBarrier();
        }
        if (r < m && j < n) {
            c[r * n + j] = acc;
        }
    }
}
