package org.mtflow.bench;

/**
 * Scalar reference encoders for the 16-bit float formats, round to nearest even, written from the
 * formats' definitions (Java 17 has no {@code Float.floatToFloat16}). The kernel bench uses them to
 * make decode inputs and to spot-check the backends' encodeHalf/decodeHalf.
 */
final class HalfFloats {
    private HalfFloats() {}

    /** IEEE binary16 bits of f: RNE, overflow to ±∞, NaN to a quiet NaN. */
    static short toF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs > 0x7F80_0000) return (short) (sign | 0x7E00 | ((abs >>> 13) & 0x3FF)); // NaN, kept quiet
        if (abs >= 0x477F_F000) return (short) (sign | 0x7C00); // ≥ 65520 rounds to ∞ (and ∞ itself)
        if (abs >= 0x3880_0000) { // normal in binary16: ≥ 2^-14
            int r = abs - 0x3800_0000; // rebias the exponent: (127 − 15) << 23
            r += 0x0FFF + ((r >>> 13) & 1); // round to nearest even on the 13 dropped bits
            return (short) (sign | (r >>> 13));
        }
        int e = abs >>> 23;
        int shift = 126 - e; // value / 2^-24 = mantissa(with implicit 1) >> shift
        if (e == 0 || shift > 24) return (short) sign; // float subnormals and < 2^-25: ±0
        int m = (abs & 0x7F_FFFF) | 0x80_0000;
        int q = m >>> shift;
        int rem = m & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rem > half || (rem == half && (q & 1) == 1)) q++;
        return (short) (sign | q);
    }

    static float fromF16(short h) {
        int sign = (h & 0x8000) << 16;
        int e = (h >>> 10) & 0x1F;
        int m = h & 0x3FF;
        if (e == 0) {
            float v = m * 0x1.0p-24f;
            return sign != 0 ? -v : v;
        }
        if (e == 31) return Float.intBitsToFloat(sign | 0x7F80_0000 | (m << 13));
        return Float.intBitsToFloat(sign | ((e + 112) << 23) | (m << 13));
    }

    /** bfloat16 bits of f: the top 16 bits, RNE; NaN stays a (quiet) NaN. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (short) ((bits >>> 16) | 0x0040);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }
}
