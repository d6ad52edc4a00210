package org.mtflow.kernels.aparapi;

/**
 * float32 ↔ 16-bit float casts (IEEE binary16 and bfloat16), round to nearest even, in integer
 * arithmetic on the float bits so that every device gives the same bits. Element i of the floats is
 * element {@code offset + i} of the halves. Work-items own chunks as in {@link ElementwiseKernel}.
 */
public final class CastKernel extends BitsKernel {
    static final int ENCODE_F16 = 0;
    static final int ENCODE_BF16 = 1;
    static final int DECODE_F16 = 2;
    static final int DECODE_BF16 = 3;

    float[] floats = new float[1];
    short[] halves = new short[1];
    int n;
    int offset;
    int chunk = 4096;
    int op;
    /** 2^-24, the weight of one binary16 subnormal step (from the host: no float literal to print). */
    float halfUlp = 0x1.0p-24f;

    void set(int op, float[] floats, short[] halves, int offset, int chunk) {
        this.op = op;
        this.floats = floats;
        this.halves = halves;
        this.offset = offset;
        this.n = floats.length;
        this.chunk = chunk;
    }

    void release() {
        floats = new float[1];
        halves = new short[1];
    }

    /**
     * binary16 bits of f, round to nearest even; NaN stays NaN (quiet), overflow goes to infinity.
     * Every case is computed and the right one selected, without branches, so the loop vectorizes.
     */
    protected int toF16(float f) {
        int bits = floatBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int mag = bits & 0x7FFFFFFF;
        // Normal half: re-bias the exponent (127 → 15) and round the 13 dropped mantissa bits.
        int r = mag - 0x38000000;
        int normal = (r + 0xFFF + ((r >>> 13) & 1)) >>> 13;
        // Subnormal half (or zero): the 24-bit significand shifted right by 126 − exponent (≥ 14),
        // rounded; shifts of 25 and more leave 0 (the shift is clamped to stay defined).
        int e = mag >>> 23;
        int m = (mag & 0x7FFFFF) | 0x800000;
        int shift = min(max(126 - e, 1), 25);
        int q = m >>> shift;
        int rem = m & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        int up = (rem > halfway ? 1 : 0) | ((rem == halfway ? 1 : 0) & q & 1);
        int h = q + up;
        if (mag >= 0x38800000) {
            h = normal;
        }
        if (mag >= 0x477FF000) {
            // 65520 and above round to infinity (65504 is the largest finite; ties go to even = ∞).
            h = 0x7C00;
        }
        if (mag > 0x7F800000) {
            h = 0x7E00 | ((mag >>> 13) & 0x3FF);
        }
        return sign | h;
    }

    /** bfloat16 bits of f, round to nearest even; NaN stays NaN (quiet). */
    protected int toBf16(float f) {
        int bits = floatBits(f);
        int h = (bits >>> 16) | 0x40;
        if ((bits & 0x7FFFFFFF) <= 0x7F800000) {
            h = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
        }
        return h;
    }

    /**
     * The float of binary16 bits {@code hv} (0..0xFFFF). The sign is applied by negation: shifting
     * a 1 into bit 31 of a signed int is undefined in OpenCL C.
     */
    protected float fromF16(int hv) {
        int e = (hv >>> 10) & 0x1F;
        int m = hv & 0x3FF;
        float f = bitsFloat(((e + 112) << 23) | (m << 13));
        if (e == 0x1F) {
            f = bitsFloat(0x7F800000 | (m << 13));
        }
        if (e == 0) {
            f = m * halfUlp;
        }
        if ((hv & 0x8000) != 0) {
            f = -f;
        }
        return f;
    }

    /** The float of bfloat16 bits {@code hv} (0..0xFFFF). */
    protected float fromBf16(int hv) {
        float f = bitsFloat((hv & 0x7FFF) << 16);
        if ((hv & 0x8000) != 0) {
            f = -f;
        }
        return f;
    }

    @Override
    public void run() {
        int lo = getGlobalId() * chunk;
        int hi = lo + min(chunk, n - lo);
        if (op == ENCODE_F16) {
            for (int i = lo; i < hi; i++) {
                halves[offset + i] = (short) toF16(floats[i]);
            }
        } else if (op == ENCODE_BF16) {
            for (int i = lo; i < hi; i++) {
                halves[offset + i] = (short) toBf16(floats[i]);
            }
        } else if (op == DECODE_F16) {
            for (int i = lo; i < hi; i++) {
                floats[i] = fromF16(halves[offset + i] & 0xFFFF);
            }
        } else if (op == DECODE_BF16) {
            for (int i = lo; i < hi; i++) {
                floats[i] = fromBf16(halves[offset + i] & 0xFFFF);
            }
        }
    }
}
