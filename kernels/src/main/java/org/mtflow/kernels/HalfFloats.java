package org.mtflow.kernels;

/**
 * Conversions between float32 and the 16-bit floats of checkpoints, bit-exact and shared by every
 * user (the Java and OpenCL backends, the safetensors reader and writer): IEEE 754 binary16 (F16)
 * and bfloat16 (BF16). Java 17 has no {@code Float.floatToFloat16}.
 *
 * <p>Float to 16 bits rounds to nearest, ties to even; values too large become infinity, values
 * too small become (signed) zero or a subnormal; NaN stays NaN (a quiet NaN keeping the sign and the
 * payload's top bits). 16 bits to float is exact (every F16 and BF16 value is a float).
 */
public final class HalfFloats {
    private HalfFloats() {}

    /** The binary16 bits nearest to {@code f} (ties to even). */
    public static short floatToHalf(float f) {
        int w = Float.floatToRawIntBits(f);
        int sign = (w >>> 16) & 0x8000;
        int abs = w & 0x7fffffff;
        if (abs - 0x38800000 + Integer.MIN_VALUE < 0x477ff000 - 0x38800000 + Integer.MIN_VALUE) { // unsigned range test
            // Normal half (2^-14 ≤ |f| < 65520): rebias the exponent (127 → 15), round 23 → 10
            // mantissa bits; a carry out of the mantissa correctly bumps the exponent.
            return (short) (sign | ((abs - 0x38000000 + 0x0fff + ((abs >>> 13) & 1)) >>> 13));
        }
        return (short) (sign | halfSlowPath(abs));
    }

    /** The unsigned binary16 bits of |f| outside the normal range: NaN, overflow, subnormal, zero. */
    private static int halfSlowPath(int abs) {
        if (abs > 0x7f800000) return 0x7e00 | (abs >>> 13) & 0x3ff; // NaN, forced quiet
        if (abs >= 0x477ff000) return 0x7c00; // ≥ 65520 (halfway past the largest half) or ∞
        if (abs <= 0x33000000) return 0; // ≤ 2^-25: half the smallest subnormal or less, ties to 0
        // Subnormal half: |f| in units of 2^-24, rounded to nearest even. |f| = mant · 2^(e − 150).
        int e = abs >>> 23, mant = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - e; // 14..24
        int h = mant >>> shift, rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
        if (rem > half || (rem == half && (h & 1) != 0)) h++; // may carry into the smallest normal
        return h;
    }

    /** The float value of binary16 bits {@code h} (exact). */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16, exp = (bits >>> 10) & 0x1f, mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | mant << 13); // ∞, NaN
        if (exp != 0) return Float.intBitsToFloat(sign | (exp + 112) << 23 | mant << 13);
        // Zero or subnormal: mant · 2^-24, exact in float.
        float v = mant * 0x1p-24f;
        return sign != 0 ? -v : v;
    }

    /** The bfloat16 bits nearest to {@code f} (ties to even); NaN stays a (quiet) NaN. */
    public static short floatToBf16(float f) {
        int w = Float.floatToRawIntBits(f);
        if ((w & 0x7fffffff) > 0x7f800000) return (short) ((w >>> 16) | 0x0040);
        return (short) ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16);
    }

    /** The float value of bfloat16 bits {@code h} (exact). */
    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    // ---------------------------------------------------------------- bulk

    /*
     * The encoders stage STAGE elements at a time through small arrays with System.arraycopy and
     * convert there: the copies' wide loads and stores stream memory well, while the scalar loop
     * reading and writing memory directly ran 1.4-2× slower on the machine this was measured on.
     */
    private static final int STAGE = 1024;

    /** {@code dst[at + i] = floatToHalf(src[from + i])} for i < n. */
    public static void toHalf(float[] src, int from, short[] dst, int at, int n) {
        float[] in = new float[Math.min(STAGE, n)];
        short[] out = new short[in.length];
        for (int done = 0; done < n; done += STAGE) {
            int len = Math.min(STAGE, n - done);
            System.arraycopy(src, from + done, in, 0, len);
            for (int i = 0; i < len; i++) out[i] = floatToHalf(in[i]);
            System.arraycopy(out, 0, dst, at + done, len);
        }
    }

    /**
     * {@code dst[at + i] = halfToFloat(src[from + i])} for i < n, by table. Not staged: the table
     * gather ran faster reading and writing memory directly.
     */
    public static void fromHalf(short[] src, int from, float[] dst, int at, int n) {
        float[] table = HalfTable.VALUES;
        for (int i = 0; i < n; i++) dst[at + i] = table[src[from + i] & 0xffff];
    }

    /** {@code dst[at + i] = floatToBf16(src[from + i])} for i < n. */
    public static void toBf16(float[] src, int from, short[] dst, int at, int n) {
        float[] in = new float[Math.min(STAGE, n)];
        short[] out = new short[in.length];
        for (int done = 0; done < n; done += STAGE) {
            int len = Math.min(STAGE, n - done);
            System.arraycopy(src, from + done, in, 0, len);
            for (int i = 0; i < len; i++) out[i] = floatToBf16(in[i]);
            System.arraycopy(out, 0, dst, at + done, len);
        }
    }

    /** {@code dst[at + i] = bf16ToFloat(src[from + i])} for i < n. Not staged: faster direct. */
    public static void fromBf16(short[] src, int from, float[] dst, int at, int n) {
        for (int i = 0; i < n; i++) dst[at + i] = bf16ToFloat(src[from + i]);
    }

    /** All 65536 binary16 values as floats, built on first use: one load per decoded element. */
    private static final class HalfTable {
        static final float[] VALUES = new float[1 << 16];

        static {
            for (int h = 0; h < VALUES.length; h++) VALUES[h] = halfToFloat((short) h);
        }
    }
}
