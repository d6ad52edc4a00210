package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;

/**
 * C = A·B for row-major A [m,k], B [k,n], C [m,n]. Each work-item owns a tile of {@link #TILE_ROWS}
 * rows × {@link #TILE_COLS} columns of C and runs an ordinary loop over contiguous columns, which is
 * what PoCL vectorizes well on a CPU (work-group size 1; see DESIGN.md).
 */
public final class MatmulKernel extends Kernel {
    static final int TILE_ROWS = 4;
    static final int TILE_COLS = 512;

    float[] a = new float[1];
    float[] b = new float[1];
    float[] c = new float[1];
    int m;
    int k;
    int n;
    int colTiles;

    void set(float[] a, float[] b, float[] c, int m, int k, int n) {
        this.a = a;
        this.b = b;
        this.c = c;
        this.m = m;
        this.k = k;
        this.n = n;
        this.colTiles = (n + TILE_COLS - 1) / TILE_COLS;
    }

    int workItems() {
        return ((m + TILE_ROWS - 1) / TILE_ROWS) * colTiles;
    }

    @Override
    public void run() {
        int w = getGlobalId();
        int r0 = (w / colTiles) * TILE_ROWS;
        int j0 = (w % colTiles) * TILE_COLS;
        int j1 = min(n, j0 + TILE_COLS);
        int r1 = min(m, r0 + TILE_ROWS);
        for (int r = r0; r < r1; r++) {
            int cr = r * n;
            for (int j = j0; j < j1; j++) {
                c[cr + j] = 0f;
            }
            int ar = r * k;
            for (int p = 0; p < k; p++) {
                float arp = a[ar + p];
                int bp = p * n;
                for (int j = j0; j < j1; j++) {
                    c[cr + j] = c[cr + j] + arp * b[bp + j];
                }
            }
        }
    }
}
