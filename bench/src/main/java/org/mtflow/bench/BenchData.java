package org.mtflow.bench;

import java.util.stream.IntStream;
import org.mtflow.kernels.HalfFloats;

/**
 * Benchmark inputs: uniform floats from a stateless hash of (seed, index), filled in parallel so
 * that preparing hundreds of MB does not dominate the run. Not Philox: these need only be varied
 * and reproducible, not identical to any kernel's draws.
 */
final class BenchData {
    private static final int CHUNK = 1 << 16;

    private BenchData() {}

    /** splitmix64's finaliser over seed and index. */
    static long mix(long seed, long i) {
        long z = seed * 0x9E37_79B9_7F4A_7C15L + i * 0xBF58_476D_1CE4_E5B9L + 0x94D0_49BB_1331_11EBL;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 24 random bits. */
    static float unit(long seed, long i) {
        return (mix(seed, i) >>> 40) * 0x1.0p-24f;
    }

    static float[] uniform(int n, long seed, float lo, float hi) {
        float[] a = new float[n];
        float w = hi - lo;
        chunks(n, (from, to) -> {
            for (int i = from; i < to; i++) a[i] = lo + w * unit(seed, i);
        });
        return a;
    }

    /** Uniform in [lo, hi), but exactly 0 with probability {@code zeroFraction} (trimmed task vectors). */
    static float[] sparseUniform(int n, long seed, float lo, float hi, float zeroFraction) {
        float[] a = uniform(n, seed, lo, hi);
        chunks(n, (from, to) -> {
            for (int i = from; i < to; i++) if (unit(~seed, i) < zeroFraction) a[i] = 0f;
        });
        return a;
    }

    /** −1 or +1 with equal probability, 0 with probability {@code zeroFraction}. */
    static float[] signs(int n, long seed, float zeroFraction) {
        float[] a = new float[n];
        chunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float u = unit(seed, i);
                a[i] = u < zeroFraction ? 0f : (mix(~seed, i) & 1) == 0 ? 1f : -1f;
            }
        });
        return a;
    }

    static short[] encode(float[] a, boolean bf16) {
        short[] out = new short[a.length];
        chunks(a.length, (from, to) -> {
            for (int i = from; i < to; i++) out[i] = bf16 ? HalfFloats.floatToBf16(a[i]) : HalfFloats.floatToHalf(a[i]);
        });
        return out;
    }

    /** Indices to spot-check in an array of n: both ends, the middle, and pseudo-random others. */
    static int[] samples(int n, int count, long seed) {
        if (n <= count) return IntStream.range(0, n).toArray();
        int[] idx = new int[count];
        idx[0] = 0;
        idx[1] = n - 1;
        idx[2] = n / 2;
        for (int j = 3; j < count; j++) idx[j] = (int) Long.remainderUnsigned(mix(seed, j), n);
        return idx;
    }

    interface Range {
        void fill(int from, int to);
    }

    static void chunks(int n, Range body) {
        IntStream.range(0, (n + CHUNK - 1) / CHUNK).parallel()
                .forEach(c -> body.fill(c * CHUNK, Math.min(n, (c + 1) * CHUNK)));
    }
}
