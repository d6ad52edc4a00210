package org.mtflow.kernels.aparapi;

/**
 * Base of the kernels that draw from Philox4x32-10 in-kernel, bit-identical to
 * {@link org.mtflow.kernels.random.Philox#bits}. The ten round keys come from the host
 * ({@link #setKey}): OpenCL C's signed int overflow is undefined, so the key schedule's wrapping
 * additions are done in Java. The 32×32→64 products are taken on zero-extended operands.
 */
abstract class PhiloxKernel extends BitsKernel {
    /** Round keys: k0 of round r at [2r], k1 at [2r + 1]. */
    int[] roundKeys = new int[20];
    /** The stream: counter words 2 and 3. */
    int streamLo;
    int streamHi;

    void setKey(long seed, long stream) {
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        int[] keys = new int[20];
        for (int r = 0; r < 10; r++) {
            keys[2 * r] = k0;
            keys[2 * r + 1] = k1;
            k0 += 0x9E3779B9;
            k1 += 0xBB67AE85;
        }
        roundKeys = keys;
        streamLo = (int) stream;
        streamHi = (int) (stream >>> 32);
    }

    /** The 32 random bits of element {@code i} (i ≥ 0) of the stream set by {@link #setKey}. */
    protected int philoxBits(int i) {
        int c0 = i >>> 2;
        int c1 = 0;
        int c2 = streamLo;
        int c3 = streamHi;
        for (int round = 0; round < 10; round++) {
            long p0 = 0xD2511F53L * (c0 & 0xFFFFFFFFL);
            long p1 = 0xCD9E8D57L * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ roundKeys[2 * round];
            int n2 = (int) (p0 >>> 32) ^ c3 ^ roundKeys[2 * round + 1];
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
