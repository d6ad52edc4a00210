package org.mtflow.kernels.jvm;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * Runs numbered blocks of work on a fork-join pool. Callers cut their work into blocks whose
 * boundaries depend only on the problem size, never on the thread count, and write each block's
 * result to its own slot; so a result is the same on any number of threads.
 */
final class Parallel {
    /** Elements per block of elementwise and reduction work: the unit of float accumulation. */
    static final int BLOCK = 1 << 14;
    /**
     * Below this many elements of streaming work, a fork costs more than it saves. Measured here (2
     * cores) in an MLP training step: ops on 33k–400k elements (bias, ReLU, column sums, SGD on a
     * 784×512 weight) each ran 1.4–2.7× slower forked at 2^16 than on the calling thread.
     */
    static final int MIN_PARALLEL_ELEMENTS = 1 << 19;

    private final ForkJoinPool pool;
    private final int threads;

    Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    int threads() { return threads; }

    static int blocks(int n) { return (n + BLOCK - 1) / BLOCK; }

    /**
     * Runs {@code body} for blocks 0..count-1: on the pool when {@code worthForking} (the caller's
     * judgement that the work is big enough), inline otherwise.
     */
    void forEach(int count, boolean worthForking, IntConsumer body) {
        if (count <= 1 || pool == null || !worthForking) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        pool.invoke(new BlockRange(0, count, body));
    }

    /** {@link #forEach} over the {@link #BLOCK}-sized blocks of n streaming elements. */
    void forEachBlock(int n, IntConsumer body) {
        forEach(blocks(n), n >= MIN_PARALLEL_ELEMENTS, body);
    }

    void close() {
        if (pool != null) pool.shutdown();
    }

    /** Splits [lo, hi) in halves down to single blocks: no per-block task objects up front. */
    private static final class BlockRange extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final int lo, hi;
        private final transient IntConsumer body;

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
}
