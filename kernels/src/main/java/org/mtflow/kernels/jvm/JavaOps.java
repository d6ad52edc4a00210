package org.mtflow.kernels.jvm;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.Arrays;
import java.util.function.IntConsumer;
import org.mtflow.kernels.Shapes;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * The plain-Java backend: the reference for every other backend and the path for machines
 * without OpenCL. Work is split into fixed blocks whose boundaries do not depend on the thread
 * count, so results are identical on any number of threads.
 */
public final class JavaOps implements TensorOps {
    /** Elements per block of elementwise and reduction work. */
    static final int BLOCK = 1 << 14;
    /** Rows of C computed by one matmul task. */
    private static final int ROW_BLOCK = 16;

    private final ForkJoinPool pool;
    private final int threads;

    public JavaOps(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = new ForkJoinPool(threads);
    }

    public int threads() { return threads; }

    @Override
    public String name() { return "java"; }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        Shapes.requireMatmul(a, b, out);
        int m = a.dim(0), k = a.dim(1), n = b.dim(1);
        float[] av = a.data(), bv = b.data(), cv = out.data();
        forEachBlock((m + ROW_BLOCK - 1) / ROW_BLOCK, blk -> {
            int r0 = blk * ROW_BLOCK, r1 = Math.min(m, r0 + ROW_BLOCK);
            for (int i = r0; i < r1; i++) {
                int ci = i * n;
                Arrays.fill(cv, ci, ci + n, 0f);
                for (int p = 0; p < k; p++) {
                    float aip = av[i * k + p];
                    int bp = p * n;
                    for (int j = 0; j < n; j++) {
                        cv[ci + j] = Math.fma(aip, bv[bp + j], cv[ci + j]);
                    }
                }
            }
        });
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, out);
        float[] x = a.data(), y = b.data(), z = out.data();
        forEachBlock(blocks(z.length), blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = x[i] + y[i];
        });
    }

    @Override
    public void scale(Tensor a, float s, Tensor out) {
        Shapes.requireSame(a, out);
        float[] x = a.data(), z = out.data();
        forEachBlock(blocks(z.length), blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK);
            for (int i = lo; i < hi; i++) z[i] = s * x[i];
        });
    }

    @Override
    public double sum(Tensor a) {
        float[] x = a.data();
        double[] partial = new double[blocks(x.length)];
        forEachBlock(partial.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            float s = 0f;
            for (int i = lo; i < hi; i++) s += x[i];
            partial[blk] = s;
        });
        double total = 0;
        for (double p : partial) total += p;
        return total;
    }

    private static int blocks(int n) { return (n + BLOCK - 1) / BLOCK; }

    /** Runs {@code body} for blocks 0..count-1 on the pool (inline when there is one block). */
    private void forEachBlock(int count, IntConsumer body) {
        if (count <= 1 || threads == 1) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        pool.invoke(new BlockRange(0, count, body));
    }

    /** Splits [lo, hi) in halves down to single blocks: no per-block task objects up front. */
    private static final class BlockRange extends RecursiveAction {
        private final int lo, hi;
        private final IntConsumer body;

        BlockRange(int lo, int hi, IntConsumer body) {
            this.lo = lo;
            this.hi = hi;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.accept(lo);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new BlockRange(lo, mid, body), new BlockRange(mid, hi, body));
        }
    }

    @Override
    public void close() { pool.shutdown(); }
}
