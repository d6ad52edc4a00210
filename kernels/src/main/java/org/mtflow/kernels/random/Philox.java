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
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private Philox() {}

    /** One Philox4x32-10 block: four 32-bit words from a 128-bit counter and a 64-bit key. */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
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
        return new int[] {c0, c1, c2, c3};
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
