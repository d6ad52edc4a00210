package org.mtflow.kernels.format;

import org.mtflow.kernels.HalfFloats;

/**
 * Scalar conversions between float32 and the 16-bit formats of checkpoints (IEEE binary16 "F16"
 * and bfloat16 "BF16"), plus the 8-bit float formats safetensors names. Float to 16-bit rounds to
 * nearest, ties to even, with correct subnormals and overflow to infinity; NaN stays NaN with its
 * sign and the top payload bits, so every 16-bit pattern survives a trip through float32.
 *
 * <p>Works on bit patterns (ints), not on {@code float}s where it matters, so NaN payloads are not at
 * the mercy of the platform.
 */
final class HalfConversions {
    private HalfConversions() {}

    // F16 and BF16 are HalfFloats's, shared with the kernels' casts: one definition of the bits.

    /** binary16 bits (low 16 bits of {@code h}) to float32, exactly. */
    static float halfToFloat(int h) {
        return HalfFloats.halfToFloat((short) h);
    }

    /** float32 to binary16 bits, round to nearest even. */
    static short floatToHalf(float f) {
        return HalfFloats.floatToHalf(f);
    }

    /** bfloat16 bits (low 16 bits of {@code b}) to float32, exactly. */
    static float bf16ToFloat(int b) {
        return HalfFloats.bf16ToFloat((short) b);
    }

    /** float32 to bfloat16 bits, round to nearest even. */
    static short floatToBf16(float f) {
        return HalfFloats.floatToBf16(f);
    }

    // 8-bit floats: decoded through tables, built once from the formats' definitions.
    private static final float[] E4M3 = new float[256];
    private static final float[] E5M2 = new float[256];
    private static final float[] E8M0 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            E4M3[b] = decodeE4M3(b);
            E5M2[b] = halfToFloat(b << 8); // E5M2 is the top byte of a binary16
            E8M0[b] = b == 0xFF ? Float.NaN : Math.scalb(1f, b - 127);
        }
    }

    /** float8 E4M3 "FN" (bias 7, no infinities, S.1111.111 is NaN): max 448, least subnormal 2^-9. */
    private static float decodeE4M3(int b) {
        float sign = (b & 0x80) != 0 ? -1f : 1f;
        int exp = (b >>> 3) & 0xF, mant = b & 7;
        if (exp == 0xF && mant == 7) return Float.NaN;
        if (exp == 0) return sign * Math.scalb(mant / 8f, -6);
        return sign * Math.scalb(1 + mant / 8f, exp - 7);
    }

    static float e4m3ToFloat(int b) { return E4M3[b & 0xFF]; }

    static float e5m2ToFloat(int b) { return E5M2[b & 0xFF]; }

    /** float8 E8M0 (a power of two 2^(b-127), 0xFF NaN): the scale format of MX checkpoints. */
    static float e8m0ToFloat(int b) { return E8M0[b & 0xFF]; }

    /** An unsigned 64-bit integer to the nearest float (ties to even). */
    static float u64ToFloat(long v) {
        if (v >= 0) return v;
        // Halve with the lost bit kept sticky, convert (one rounding), double: still one rounding.
        return 2f * ((v >>> 1) | (v & 1));
    }
}
