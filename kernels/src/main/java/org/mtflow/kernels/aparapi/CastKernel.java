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
    /** Elements per run of the F16 encoder's fast path. */
    static final int F16_RUN = 1024;

    float[] floats = new float[1];
    short[] halves = new short[1];
    int n;
    int offset;
    int chunk = 4096;
    int op;
    /** 2^-24, the weight of one binary16 subnormal step (from the host: no float literal to print). */
    float halfUlp = 0x1.0p-24f;
    /** 0.5, whose ulp is 2^-24 (from the host, as halfUlp; "half" is an OpenCL type name). */
    float oneHalf = 0.5f;

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
     * Every case is computed and the right one selected, without branches, so the loop vectorizes
     * (F. Giesen's float_to_half_fast3_rtne).
     */
    protected int toF16(float f) {
        int bits = floatBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int mag = bits & 0x7FFFFFFF;
        // Normal half: re-bias the exponent (127 → 15: −0x38000000) and round the 13 dropped
        // mantissa bits to nearest even (+0xFFF, +1 when the kept part is odd). A carry into the
        // exponent is the right result, up to infinity.
        int normal = (mag - 0x37FFF001 + ((mag >>> 13) & 1)) >>> 13;
        // Subnormal half (or zero): adding 0.5 leaves |f| rounded to a multiple of 2⁻²⁴ (one
        // correctly rounded float add, to nearest even) in the low mantissa bits of 0.5.
        int subnormal = floatBits(bitsFloat(mag) + oneHalf) - 0x3F000000;
        int h = mag < 0x38800000 ? subnormal : normal;
        if (mag >= 0x47800000) {
            h = 0x7C00; // 2^16 and above (infinity too); 65520 up to 2^16 rounds there above
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
            // Runs of F16_RUN: the normal-half formula alone (half the work of toF16), redone in full
            // for the rare run holding a zero, subnormal, overflow or NaN.
            for (int r = lo; r < hi; r += F16_RUN) {
                int end = r + min(F16_RUN, hi - r);
                // One pass converts and keeps the least and greatest magnitude (min/max reductions
                // vectorize; an OR of range tests cost 25 %); outside [2^-14, 65520) the run is redone.
                int least = 0x7FFFFFFF;
                int most = 0;
                for (int i = r; i < end; i++) {
                    int bits = floatBits(floats[i]);
                    int mag = bits & 0x7FFFFFFF;
                    least = min(least, mag);
                    most = max(most, mag);
                    halves[offset + i] = (short) (((bits >>> 16) & 0x8000) | ((mag - 0x37FFF001 + ((mag >>> 13) & 1)) >>> 13));
                }
                if (least < 0x38800000 || most >= 0x477FF000) {
                    for (int i = r; i < end; i++) {
                        halves[offset + i] = (short) toF16(floats[i]);
                    }
                }
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
