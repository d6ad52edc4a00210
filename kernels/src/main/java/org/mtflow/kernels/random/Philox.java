package org.mtflow.kernels.random;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
 * counter-based generator. Element {@code i} of the draw keyed by {@code (seed, stream)} is a pure
 * function of those three numbers, so any backend, device or thread count produces the same bits.
 *
 * <p>Layout: key = the 64-bit seed; counter = (i / 4 as 64 bits, stream as 64 bits); element i is
 * word {@code i % 4} of that block.
 */
public final class Philox {
    /** The round multipliers and Weyl key increments of Philox4x32 (for vector implementations). */
    public static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private Philox() {}

    /** One Philox4x32-10 block: four 32-bit words from a 128-bit counter and a 64-bit key. */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        int[] w = new int[4];
        block(c0, c1, c2, c3, k0, k1, w);
        return w;
    }

    /** {@link #block(int, int, int, int, int, int)} into {@code out[0..3]}: no allocation in bulk loops. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /**
     * Blocks {@code index .. index+3} (counter high word 0) of one stream into {@code out[0..15]},
     * block j in words 4j..4j+3: four independent round chains interleaved, so the multiplies of one
     * overlap the latency of the others (~2.5× the throughput of one block at a time).
     */
    public static void block4(int index, int s0, int s1, int k0, int k1, int[] out) {
        int a0 = index, a1 = 0, a2 = s0, a3 = s1;
        int b0 = index + 1, b1 = 0, b2 = s0, b3 = s1;
        int c0 = index + 2, c1 = 0, c2 = s0, c3 = s1;
        int d0 = index + 3, d1 = 0, d2 = s0, d3 = s1;
        for (int round = 0; round < 10; round++) {
            long pa0 = (M0 & 0xFFFFFFFFL) * (a0 & 0xFFFFFFFFL), pa1 = (M1 & 0xFFFFFFFFL) * (a2 & 0xFFFFFFFFL);
            long pb0 = (M0 & 0xFFFFFFFFL) * (b0 & 0xFFFFFFFFL), pb1 = (M1 & 0xFFFFFFFFL) * (b2 & 0xFFFFFFFFL);
            long pc0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL), pc1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            long pd0 = (M0 & 0xFFFFFFFFL) * (d0 & 0xFFFFFFFFL), pd1 = (M1 & 0xFFFFFFFFL) * (d2 & 0xFFFFFFFFL);
            a0 = (int) (pa1 >>> 32) ^ a1 ^ k0; a1 = (int) pa1; a2 = (int) (pa0 >>> 32) ^ a3 ^ k1; a3 = (int) pa0;
            b0 = (int) (pb1 >>> 32) ^ b1 ^ k0; b1 = (int) pb1; b2 = (int) (pb0 >>> 32) ^ b3 ^ k1; b3 = (int) pb0;
            c0 = (int) (pc1 >>> 32) ^ c1 ^ k0; c1 = (int) pc1; c2 = (int) (pc0 >>> 32) ^ c3 ^ k1; c3 = (int) pc0;
            d0 = (int) (pd1 >>> 32) ^ d1 ^ k0; d1 = (int) pd1; d2 = (int) (pd0 >>> 32) ^ d3 ^ k1; d3 = (int) pd0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = a0; out[1] = a1; out[2] = a2; out[3] = a3;
        out[4] = b0; out[5] = b1; out[6] = b2; out[7] = b3;
        out[8] = c0; out[9] = c1; out[10] = c2; out[11] = c3;
        out[12] = d0; out[13] = d1; out[14] = d2; out[15] = d3;
    }

    /** The 32 random bits of element {@code i} of stream {@code stream} under {@code seed}. */
    public static int bits(long seed, long stream, long i) {
        long blockIndex = i >>> 2;
        int[] w = block((int) blockIndex, (int) (blockIndex >>> 32), (int) stream, (int) (stream >>> 32),
                (int) seed, (int) (seed >>> 32));
        return w[(int) (i & 3)];
    }

    /** Uniform float in [0, 1) from the top 24 bits: exactly representable, identical everywhere. */
    public static float toUnitFloat(int bits) {
        return (bits >>> 8) * 0x1.0p-24f;
    }

    /**
     * A uniform float in [lo, hi): {@code fma(hi − lo, u, lo)}, one rounding that every backend
     * computes alike (a compiler may fuse {@code lo + w·u} or not), capped below hi since it can round
     * up to it.
     */
    public static float toUniform(int bits, float lo, float hi) {
        return Math.min(Math.fma(hi - lo, toUnitFloat(bits), lo), Math.nextDown(hi));
    }

    /** Fills {@code out} with uniform floats in [lo, hi) drawn from elements offset.. of the stream. */
    public static void fillUniform(float[] out, long seed, long stream, long offset, float lo, float hi) {
        int i = 0;
        // Fast path over whole blocks: one Philox evaluation yields four elements.
        while (i < out.length) {
            long e = offset + i;
            long blockIndex = e >>> 2;
            int[] w = block((int) blockIndex, (int) (blockIndex >>> 32), (int) stream, (int) (stream >>> 32),
                    (int) seed, (int) (seed >>> 32));
            for (int word = (int) (e & 3); word < 4 && i < out.length; word++, i++) {
                out[i] = toUniform(w[word], lo, hi);
            }
        }
    }

    /**
     * Fills {@code out[from..to)} so that element i holds draw i: {@code toUniform(bits(seed, stream, i),
     * lo, hi)}. One Philox block per four elements, no allocation.
     */
    public static void fillUniform(float[] out, int from, int to, long seed, long stream, float lo, float hi) {
        fillUniform(out, from, to, seed, stream, 0, lo, hi);
    }

    /**
     * Fills {@code out[from..to)} so that element i holds draw offset + i (offset + to ≤ 2^34): a piece,
     * starting at element offset, of a draw made whole by the method above.
     */
    public static void fillUniform(float[] out, int from, int to, long seed, long stream, long offset, float lo, float hi) {
        int k0 = (int) seed, k1 = (int) (seed >>> 32), s0 = (int) stream, s1 = (int) (stream >>> 32);
        int[] w = new int[16];
        float width = hi - lo, cap = Math.nextDown(hi);
        int i = from;
        while (i < to) {
            // Four blocks (16 draws) at a time from the 16-aligned draw at or below offset + i.
            long draw = offset + i, first = draw & ~15L;
            block4((int) (first >>> 2), s0, s1, k0, k1, w);
            // toUniform(w[word], lo, hi), its constants hoisted.
            for (int word = (int) (draw - first); word < 16 && i < to; word++, i++) {
                out[i] = Math.min(Math.fma(width, toUnitFloat(w[word]), lo), cap);
            }
        }
    }

    /**
     * A standard normal float from two draws, by Box–Muller: {@code u1 = ((bits1 >>> 8) + 1)·2⁻²⁴} in
     * (0, 1], {@code u2 = (bits2 >>> 8)·2⁻²⁴} in [0, 1), {@code z = √(−2 ln u1) · cos(2π·u2)} computed
     * in double with {@link StrictMath} (fdlibm, the same bits on every JVM and platform) and rounded
     * once to float. |z| ≤ √(2·24·ln 2) ≈ 5.77.
     */
    public static float toNormal(int bits1, int bits2) {
        double u1 = ((bits1 >>> 8) + 1) * 0x1p-24;
        double u2 = (bits2 >>> 8) * 0x1p-24;
        return (float) (StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2));
    }

    /**
     * Element i of the normal draw keyed by (seed, stream): {@code fma(std, toNormal(bits(2i),
     * bits(2i + 1)), mean)}. This is the definition every backend follows (OpenCL's log and cos are
     * not correctly rounded, so backends compute it with this Java code).
     */
    public static float normal(long seed, long stream, long i, float mean, float std) {
        return Math.fma(std, toNormal(bits(seed, stream, 2 * i), bits(seed, stream, 2 * i + 1)), mean);
    }

    /** Fills {@code out[from..to)} so that element i holds {@link #normal normal(seed, stream, i, mean, std)}. */
    public static void fillNormal(float[] out, int from, int to, long seed, long stream, float mean, float std) {
        int k0 = (int) seed, k1 = (int) (seed >>> 32), s0 = (int) stream, s1 = (int) (stream >>> 32);
        int[] w = new int[16];
        int i = from;
        while (i < to) {
            // Draws 2i and 2i+1 are words 2(i & 1), 2(i & 1) + 1 of block i / 2: four blocks, eight elements.
            int first = i & ~7;
            block4(first >>> 1, s0, s1, k0, k1, w);
            for (int e = i - first; e < 8 && i < to; e++, i++) {
                out[i] = Math.fma(std, toNormal(w[2 * e], w[2 * e + 1]), mean);
            }
        }
    }

    /**
     * A 64-bit stream id for a purpose named by strings, e.g. {@code stream("task", "a", "init")}:
     * the first 8 bytes of the SHA-256 of the parts, each length-prefixed so that ("ab","c") and
     * ("a","bc") differ.
     */
    public static long stream(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                sha.update(new byte[] {(byte) (bytes.length >>> 24), (byte) (bytes.length >>> 16),
                        (byte) (bytes.length >>> 8), (byte) bytes.length});
                sha.update(bytes);
            }
            byte[] d = sha.digest();
            long v = 0;
            for (int b = 0; b < 8; b++) v = (v << 8) | (d[b] & 0xFF);
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
