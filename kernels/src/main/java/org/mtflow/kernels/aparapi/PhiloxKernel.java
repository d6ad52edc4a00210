package org.mtflow.kernels.aparapi;

/**
 * Base of the kernels that draw from Philox4x32-10 in-kernel, bit-identical to
 * {@link org.mtflow.kernels.random.Philox#bits}: element i is word i % 4 of the block with counter
 * (i / 4, 0, stream) under key seed.
 *
 * <p>{@link #philoxRange} evaluates each block once and hands its four words to {@link #emit}, which
 * the subclass implements (Aparapi resolves the call on the concrete kernel class). OpenCL C's signed
 * int overflow is undefined, so the key schedule's wrapping additions are done in 64-bit arithmetic
 * and truncated, and the 32×32→64 products are taken on zero-extended operands.
 */
abstract class PhiloxKernel extends BitsKernel {
    /** The key (the seed) and counter words 2 and 3 (the stream). */
    int seedLo;
    int seedHi;
    int streamLo;
    int streamHi;
    /** Counter word 0 of element 0's block: the Philox block of element i is counterBase + i / 4. */
    int counterBase;

    void setKey(long seed, long stream) {
        seedLo = (int) seed;
        seedHi = (int) (seed >>> 32);
        streamLo = (int) stream;
        streamHi = (int) (stream >>> 32);
    }

    /** Receives the 32 random bits of element i. */
    protected abstract void emit(int i, int bits);

    /**
     * Emits elements [lo, hi). {@code lo} must be a multiple of 4 (the chunks are), so that whole
     * blocks are evaluated once for four elements; a partial last block goes element by element.
     */
    protected void philoxRange(int lo, int hi) {
        int whole = lo + ((hi - lo) / 4) * 4;
        for (int i = lo; i < whole; i += 4) {
            // The words in the low halves of longs: the products' operands are then known to be
            // zero-extended (one 32x32->64-bit vector multiply each) and no round converts between
            // 32- and 64-bit lanes.
            long c0 = ((counterBase & 0xFFFFFFFFL) + (i >>> 2)) & 0xFFFFFFFFL;
            long c1 = 0L;
            long c2 = streamLo & 0xFFFFFFFFL;
            long c3 = streamHi & 0xFFFFFFFFL;
            // The ten rounds written out: a loop here stays a loop, and the block loop around it is
            // then not vectorized.
            long p0 = 0L;
            long p1 = 0L;
            long n0 = 0L;
            long n2 = 0L;
            // round 0
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 0 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 0 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            // round 1
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 1 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 1 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            // round 2
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 2 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 2 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            // round 3
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 3 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 3 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            // round 4
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 4 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 4 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            // round 5
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 5 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 5 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            // round 6
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 6 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 6 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            // round 7
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 7 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 7 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            // round 8
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 8 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 8 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            // round 9
            p0 = 0xD2511F53L * c0;
            p1 = 0xCD9E8D57L * c2;
            n0 = (p1 >>> 32) ^ c1 ^ ((seedLo + 9 * 0x9E3779B9L) & 0xFFFFFFFFL);
            n2 = (p0 >>> 32) ^ c3 ^ ((seedHi + 9 * 0xBB67AE85L) & 0xFFFFFFFFL);
            c1 = p1 & 0xFFFFFFFFL;
            c3 = p0 & 0xFFFFFFFFL;
            c0 = n0;
            c2 = n2;
            emit(i, (int) c0);
            emit(i + 1, (int) c1);
            emit(i + 2, (int) c2);
            emit(i + 3, (int) c3);
        }
        for (int i = whole; i < hi; i++) {
            emit(i, philoxBits(i));
        }
    }

    /** The 32 random bits of element {@code i} (i ≥ 0) alone: a whole block for one word. */
    protected int philoxBits(int i) {
        int c0 = counterBase + (i >>> 2);
        int c1 = 0;
        int c2 = streamLo;
        int c3 = streamHi;
        for (int round = 0; round < 10; round++) {
            int k0 = (int) (seedLo + round * 0x9E3779B9L);
            int k1 = (int) (seedHi + round * 0xBB67AE85L);
            long p0 = 0xD2511F53L * (c0 & 0xFFFFFFFFL);
            long p1 = 0xCD9E8D57L * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c1 = (int) p1;
            c3 = (int) p0;
            c0 = n0;
            c2 = n2;
        }
        int word = i & 3;
        int r = c3;
        if (word == 0) {
            r = c0;
        }
        if (word == 1) {
            r = c1;
        }
        if (word == 2) {
            r = c2;
        }
        return r;
    }
}
