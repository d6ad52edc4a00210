package org.mtflow.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;

/**
 * The copy-bandwidth reference of a memory-bound row: System.arraycopy of the op's bytes, timed in
 * the same rounds as the op ({@link Timing#alongside}), two ways. One call on one thread is fastest
 * while the buffers fit in cache, but on this 2-core machine one core cannot saturate memory
 * (measured: ~12 GB/s at 384 MB vs ~23 GB/s on both cores), so the reference is the faster of
 * that and one arraycopy per core on contiguous slices of the same buffers: the machine's copy
 * bandwidth, as issue 3 asks, not one core's.
 *
 * @param bytes     bytes one copy moves: read + write, 8 per float copied
 * @param oneThread one System.arraycopy of the whole buffer
 * @param allCores  {@code threads} System.arraycopy calls on slices, in parallel
 * @param threads   cores used by {@code allCores}
 */
record CopyReference(double bytes, Timing oneThread, Timing allCores, int threads) {
    private static final int THREADS = Runtime.getRuntime().availableProcessors();
    private static final ForkJoinPool POOL = new ForkJoinPool(THREADS);

    /** The faster of the two ways. */
    Timing best() {
        return oneThread.bestNs() <= allCores.bestNs() ? oneThread : allCores;
    }

    double gbs() { return gbs(best()); }

    double gbs(Timing t) { return bytes / (t.bestNs() / 1e9) / 1e9; }

    /** The two ways of copying one buffer pair: calls for {@link Timing#alongside}. */
    record Calls(double bytes, Runnable oneThread, Runnable allCores) {
        CopyReference timed(Timing oneThread, Timing allCores) {
            return new CopyReference(bytes, oneThread, allCores, THREADS);
        }
    }

    /** Buffers of as many floats as make {@code bytes} (read + write), pages touched, and the calls that copy them. */
    static Calls calls(double bytes) {
        int floats = (int) Math.max(1, Math.round(bytes / 8));
        float[] src = new float[floats], dst = new float[floats];
        Arrays.fill(src, 1f); // touch the pages outside the timing
        Arrays.fill(dst, 0f);
        List<Callable<Void>> slices = new ArrayList<>();
        for (int k = 0; k < THREADS; k++) {
            int lo = (int) ((long) floats * k / THREADS), hi = (int) ((long) floats * (k + 1) / THREADS);
            slices.add(() -> {
                System.arraycopy(src, lo, dst, lo, hi - lo);
                return null;
            });
        }
        return new Calls(8.0 * floats, () -> System.arraycopy(src, 0, dst, 0, floats), () -> POOL.invokeAll(slices));
    }
}
