// PackedMatmulKernel's OpenCL C (see PackedMatmulKernel.java, whose run() computes the same bits
// element by element): Aparapi compiles this in place of the code it would generate from run().
// Work-group size 1: each work-item is a thread running ordinary loops.
//
// pack: B, read through strides (bRow, bCol) so that Bᵀ costs nothing, into strips of NR columns,
// each strip k rows of NR contiguous floats (zeros past column n): a strip then streams through the
// cache in order whatever B's layout.
//
// pack_a: A, read through strides (aRow, aCol), into panels of MR rows, each panel k steps of MR
// contiguous floats (zeros past row m). Read in place, Aᵀ [k,m] with m a multiple of 1024 put
// every k-step's MR values 4 KB from the last, in one L1 set: Aᵀ·B ran at A·B's speed only packed.
//
// matmul: C [m,n] = op(A)·B. Work-item w owns a tile of tileRows × tileCols of C. For each block
// of kBlock k-steps it walks the tile's strips and, in each strip, blocks of MR rows: the MR × NR
// block of C is held in 2·MR float8 registers while k runs, each k-step two loads of B, MR
// broadcasts from A's panel and 2·MR FMAs. Rows past the last full block, and strips narrower
// than NR, run a scalar loop that reads A in place. Every element of C is one fma chain over k in order, whatever the tiles.

#define NR 16
#define MR 8
#define PACK_ROWS 256

static void pack(int w, __global const float *b, __global float *bp, int k, int n, int bRow, int bCol) {
    int strips = (n + NR - 1) / NR;
    int s = w % strips;
    int p0 = (w / strips) * PACK_ROWS;
    int p1 = min(p0 + PACK_ROWS, k);
    int j0 = s * NR;
    int cols = min(NR, n - j0);
    for (int p = p0; p < p1; p++) {
        __global float *to = bp + ((long) s * k + p) * NR;
        for (int jj = 0; jj < NR; jj++) {
            to[jj] = jj < cols ? b[(long) p * bRow + (long) (j0 + jj) * bCol] : 0.0f;
        }
    }
}

static void pack_a(int w, __global const float *a, __global float *ap, int m, int k, int aRow, int aCol) {
    int panels = (m + MR - 1) / MR;
    int q = w % panels;
    int p0 = (w / panels) * PACK_ROWS;
    int p1 = min(p0 + PACK_ROWS, k);
    for (int p = p0; p < p1; p++) {
        __global float *to = ap + ((long) q * k + p) * MR;
        for (int i = 0; i < MR; i++) {
            int row = q * MR + i;
            to[i] = row < m ? a[(long) row * aRow + (long) p * aCol] : 0.0f;
        }
    }
}

static void matmul(int w, __global const float *a, __global const float *ap, __global const float *bp, __global float *c,
                   int m, int k, int n, int aRow, int aCol,
                   int tileRows, int tileCols, int kBlock, int colTiles) {
    int r0 = (w / colTiles) * tileRows;
    int j0 = (w % colTiles) * tileCols;
    int r1 = min(r0 + tileRows, m);
    int j1 = min(j0 + tileCols, n);
    for (int pb = 0; pb < k; pb += kBlock) {
        int pe = min(pb + kBlock, k);
        for (int j = j0; j < j1; j += NR) {
            int cols = min(NR, j1 - j);
            __global const float *strip = bp + (long) (j / NR) * k * NR;
            int r = r0;
            if (cols == NR) {
                for (; r + MR <= r1; r += MR) {
                    // Unrolled, so that acc's indices are constants and it lives in registers.
                    float8 acc[2 * MR];
                    #pragma unroll
                    for (int i = 0; i < MR; i++) {
                        __global const float *cr = c + (long) (r + i) * n + j;
                        acc[2 * i] = pb == 0 ? (float8) 0.0f : vload8(0, cr);
                        acc[2 * i + 1] = pb == 0 ? (float8) 0.0f : vload8(1, cr);
                    }
                    __global const float *panel = ap + (long) (r / MR) * k * MR;
                    for (int p = pb; p < pe; p++) {
                        float8 b0 = vload8(0, strip + (long) p * NR);
                        float8 b1 = vload8(1, strip + (long) p * NR);
                        __global const float *ak = panel + (long) p * MR;
                        #pragma unroll
                        for (int i = 0; i < MR; i++) {
                            float8 x = (float8) ak[i];
                            acc[2 * i] = fma(x, b0, acc[2 * i]);
                            acc[2 * i + 1] = fma(x, b1, acc[2 * i + 1]);
                        }
                    }
                    #pragma unroll
                    for (int i = 0; i < MR; i++) {
                        __global float *cr = c + (long) (r + i) * n + j;
                        vstore8(acc[2 * i], 0, cr);
                        vstore8(acc[2 * i + 1], 1, cr);
                    }
                }
            }
            for (; r < r1; r++) {
                __global float *cr = c + (long) r * n + j;
                __global const float *ar = a + (long) r * aRow;
                for (int jj = 0; jj < cols; jj++) {
                    float s = pb == 0 ? 0.0f : cr[jj];
                    for (int p = pb; p < pe; p++) {
                        s = fma(ar[(long) p * aCol], strip[(long) p * NR + jj], s);
                    }
                    cr[jj] = s;
                }
            }
        }
    }
}

// The arguments Aparapi passes for PackedMatmulKernel's fields, in its order (OpenCLSources checks
// this list against the one Aparapi generates, and injects nothing if they differ).
__kernel void run(
   int colTiles,
   int tileRows,
   int tileCols,
   int m,
   int n,
   int k,
   int kBlock,
   __global float *c,
   __global float *a,
   int aRow,
   int aCol,
   __global float *bp,
   __global float *ap,
   __global float *b,
   int bRow,
   int bCol,
   int op,
   int passid
){
    int w = get_global_id(0);
    if (op == 0) {
        pack(w, b, bp, k, n, bRow, bCol);
    } else if (op == 2) {
        pack_a(w, a, ap, m, k, aRow, aCol);
    } else {
        matmul(w, a, ap, bp, c, m, k, n, aRow, aCol, tileRows, tileCols, kBlock, colTiles);
    }
}
