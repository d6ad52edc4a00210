package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;

/**
 * The matmul of CPU devices (PoCL, work-group size 1: each work-item is a thread): C [m,n] = op(A)·B
 * with B first packed in strips of {@link #NR} columns and A in panels of {@link #MR} rows.
 *
 * <p>It runs as hand-written OpenCL C, {@code packed-matmul.cl} beside this class, which {@link
 * OpenCLSources} hands to Aparapi in place of the code Aparapi would generate from {@link #run}: a
 * Java kernel cannot hold a block of C in registers (Aparapi makes a private array a member of the
 * kernel's argument struct, which LLVM keeps in memory, and has no vector types), while the C source
 * keeps an 8 × 16 block of C in sixteen float8 registers. The Java body below computes the same
 * thing element by element, with the same fma chain per element of C, so its results are
 * bit-identical: it is the reference, and what Aparapi compiles if the source cannot be injected.
 *
 * <ul>
 *   <li>{@link #PACK}: {@code bp} = B [k,n] (element (p, j) at {@code b[p·bRow + j·bCol]}, so Bᵀ
 *       costs nothing) as strips of NR columns, each strip k rows of NR contiguous floats, zeros
 *       past column n; work-item w packs {@link #PACK_ROWS} rows of one strip.
 *   <li>{@link #PACK_A}: {@code ap} = A [m,k] (element (i, p) at {@code a[i·aRow + p·aCol]}) as
 *       panels of MR rows, each panel k steps of MR contiguous floats, zeros past row m; work-item
 *       w packs PACK_ROWS steps of one panel. (The OpenCL C reads A's full row blocks from the
 *       panels; this Java body reads A in place, the same values.)
 *   <li>{@link #MATMUL}: work-item w owns a tile of {@code tileRows} × {@code tileCols} of C
 *       (tileCols a multiple of NR); for each block of {@code kBlock} k-steps it walks the tile's
 *       strips, and in each the rows; every element of C is one fma chain over k in order, A's
 *       element (i, p) read at {@code a[i·aRow + p·aCol]}.
 * </ul>
 */
public final class PackedMatmulKernel extends Kernel {
    static final int PACK = 0;
    static final int MATMUL = 1;
    static final int PACK_A = 2;
    /** Rows per packed panel of A. */
    static final int MR = 8;
    /** Columns per packed strip of B. */
    static final int NR = 16;
    /** k-steps per work-item of {@link #PACK}. */
    static final int PACK_ROWS = 256;

    // Aparapi passes the fields run() uses as the OpenCL kernel's arguments, in an order of its own:
    // packed-matmul.cl declares the same list, which OpenCLSources checks before injecting it.
    int op;
    float[] a = new float[1];
    float[] b = new float[1];
    float[] bp = new float[1];
    float[] ap = new float[1];
    float[] c = new float[1];
    int m;
    int k;
    int n;
    int aRow;
    int aCol;
    int bRow;
    int bCol;
    int tileRows = 64;
    int tileCols = 256;
    int kBlock = 256;
    int colTiles = 1;

    void release() {
        a = b = c = new float[1];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        if (op == PACK) {
            pack(w);
        } else if (op == PACK_A) {
            packA(w);
        } else {
            matmul(w);
        }
    }

    private void pack(int w) {
        int strips = (n + NR - 1) / NR;
        int s = w % strips;
        int p0 = (w / strips) * PACK_ROWS;
        int p1 = p0 + min(PACK_ROWS, k - p0);
        int j0 = s * NR;
        int cols = min(NR, n - j0);
        for (int p = p0; p < p1; p++) {
            int to = (s * k + p) * NR;
            for (int jj = 0; jj < NR; jj++) {
                float v = 0f;
                if (jj < cols) {
                    v = b[p * bRow + (j0 + jj) * bCol];
                }
                bp[to + jj] = v;
            }
        }
    }

    private void packA(int w) {
        int panels = (m + MR - 1) / MR;
        int q = w % panels;
        int p0 = (w / panels) * PACK_ROWS;
        int p1 = p0 + min(PACK_ROWS, k - p0);
        for (int p = p0; p < p1; p++) {
            int to = (q * k + p) * MR;
            for (int i = 0; i < MR; i++) {
                float v = 0f;
                if (q * MR + i < m) {
                    v = a[(q * MR + i) * aRow + p * aCol];
                }
                ap[to + i] = v;
            }
        }
    }

    private void matmul(int w) {
        int r0 = (w / colTiles) * tileRows;
        int j0 = (w % colTiles) * tileCols;
        int r1 = r0 + min(tileRows, m - r0);
        int j1 = j0 + min(tileCols, n - j0);
        for (int pb = 0; pb < k; pb += kBlock) {
            int pe = pb + min(kBlock, k - pb);
            for (int r = r0; r < r1; r++) {
                for (int j = j0; j < j1; j++) {
                    int strip = (j / NR) * k * NR + j % NR;
                    float s = 0f;
                    if (pb > 0) {
                        s = c[r * n + j];
                    }
                    for (int p = pb; p < pe; p++) {
                        s = fma(a[r * aRow + p * aCol], bp[strip + p * NR], s);
                    }
                    c[r * n + j] = s;
                }
            }
        }
    }
}
