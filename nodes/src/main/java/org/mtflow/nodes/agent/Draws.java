package org.mtflow.nodes.agent;

import org.mtflow.kernels.random.Philox;

/** Uniform doubles keyed by (seed, purpose, index): a policy's randomness, the same however often it is asked. */
final class Draws {
    private final long seed;
    private final long stream;

    Draws(long seed, String... purpose) {
        this.seed = seed;
        this.stream = Philox.stream(purpose);
    }

    /** Draw {@code i}: a double in [0, 1) from 53 bits of elements 2i and 2i + 1. */
    double uniform(long i) {
        long hi = Philox.bits(seed, stream, 2 * i) >>> 6 & 0x3FFFFFF;
        long lo = Philox.bits(seed, stream, 2 * i + 1) >>> 5 & 0x7FFFFFF;
        return ((hi << 27) | lo) * 0x1.0p-53;
    }

    /**
     * Standard normal draw {@code i} by Box–Muller from uniform draws 2i and 2i + 1 (StrictMath, so the
     * value is the same on every JVM).
     */
    double gaussian(long i) {
        double u = 1 - uniform(2 * i); // in (0, 1], so the log is finite
        return StrictMath.sqrt(-2 * StrictMath.log(u)) * StrictMath.cos(2 * Math.PI * uniform(2 * i + 1));
    }
}
