package org.mtflow.kernels.format;

/**
 * Scalar conversions between float32 and the 16-bit formats of checkpoints (IEEE binary16 "F16"
 * and bfloat16 "BF16"), plus the 8-bit float formats safetensors names. Float to 16-bit rounds to
 * nearest, ties to even, with correct subnormals and overflow to infinity; NaN stays NaN with its
 * sign and the top payload bits, so every 16-bit pattern survives a trip through float32.
 *
 * <p>Works on bit patterns (ints), not on {@code float}s where it matters, so NaN payloads are not at
 * the mercy of the platform. Package-private: a public {@code HalfFloats} may replace it.
 */
final class HalfConversions {
    private HalfConversions() {}

    /** binary16 bits (low 16 bits of {@code h}) to float32, exactly. */
    static float halfToFloat(int h) {
        return Float.intBitsToFloat(halfToFloatBits(h));
    }

    static int halfToFloatBits(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) return sign | 0x7F80_0000 | (mant << 13); // inf, NaN (payload kept)
        if (exp != 0) return sign | ((exp + 112) << 23) | (mant << 13);
        if (mant == 0) return sign;
        // Subnormal: mant * 2^-24 is exact in float32 (a normal number there).
        return sign | Float.floatToRawIntBits(mant * 0x1p-24f);
    }

    /** float32 to binary16 bits, round to nearest even. */
    static short floatToHalf(float f) {
        return (short) floatBitsToHalf(Float.floatToRawIntBits(f));
    }

    static int floatBitsToHalf(int bits) {
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs >= 0x7F80_0000) {
            if (abs == 0x7F80_0000) return sign | 0x7C00;
            int h = sign | 0x7C00 | ((abs >>> 13) & 0x3FF);
            // A payload only in the dropped low bits would read as infinity: keep it a (quiet) NaN.
            return (h & 0x3FF) == 0 ? h | 0x200 : h;
        }
        if (abs >= 0x477F_F000) return sign | 0x7C00; // >= 65520 = halfway past the largest half: inf
        if (abs >= 0x3880_0000) { // >= 2^-14: normal half
            int h = ((abs >>> 23) - 112) << 10 | ((abs >>> 13) & 0x3FF);
            int rest = abs & 0x1FFF;
            if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) h++; // a carry moves into the exponent
            return sign | h;
        }
        if (abs <= 0x3300_0000) return sign; // <= 2^-25 (half of the least subnormal): rounds to zero
        // Subnormal half: the value in units of 2^-24 is mant * 2^(exp - 126).
        int exp = abs >>> 23; // 102..112
        int mant = (abs & 0x7F_FFFF) | 0x80_0000;
        int shift = 126 - exp; // 14..24
        int h = mant >>> shift;
        int rest = mant & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (h & 1) != 0)) h++;
        return sign | h;
    }

    /** bfloat16 bits (low 16 bits of {@code b}) to float32, exactly. */
    static float bf16ToFloat(int b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** float32 to bfloat16 bits, round to nearest even. */
    static short floatToBf16(float f) {
        return (short) floatBitsToBf16(Float.floatToRawIntBits(f));
    }

    static int floatBitsToBf16(int bits) {
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) { // NaN
            int b = bits >>> 16;
            return (b & 0x7F) == 0 ? b | 0x40 : b;
        }
        // Adding 0x7FFF (+1 when the kept part is odd) carries exactly when rounding up is due;
        // the largest floats carry into the exponent and become infinity, as they should.
        return (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
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
