package org.mtflow.kernels.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The 16-bit conversions against references built here from the formats' definitions: exact decoding
 * via {@code Math.scalb} in double, and rounding as "the nearest representable value by exact
 * {@link BigDecimal} distance, ties to the even bit pattern".
 */
class HalfConversionsTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    /** Decodes binary16 from its definition (in double, exactly). */
    static double halfValue(int h) {
        int sign = (h >>> 15) & 1, exp = (h >>> 10) & 0x1F, mant = h & 0x3FF;
        double v;
        if (exp == 0x1F) v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else if (exp == 0) v = Math.scalb((double) mant, -24);
        else v = Math.scalb((double) (1024 + mant), exp - 25);
        return sign == 1 ? -v : v;
    }

    /** Decodes bfloat16 from its definition: sign, 8-bit exponent (bias 127), 7-bit mantissa. */
    static double bf16Value(int b) {
        int sign = (b >>> 15) & 1, exp = (b >>> 7) & 0xFF, mant = b & 0x7F;
        double v;
        if (exp == 0xFF) v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else if (exp == 0) v = Math.scalb((double) mant, -133);
        else v = Math.scalb((double) (128 + mant), exp - 134);
        return sign == 1 ? -v : v;
    }

    @Test
    void everyHalfPatternDecodesExactlyAndRoundTrips() {
        for (int h = 0; h < 1 << 16; h++) {
            float f = HalfConversions.halfToFloat(h);
            double ref = halfValue(h);
            if (Double.isNaN(ref)) {
                assertTrue(Float.isNaN(f), "half " + Integer.toHexString(h) + " is NaN");
                int bits = Float.floatToRawIntBits(f);
                assertEquals(h >>> 15, bits >>> 31, "NaN sign of " + Integer.toHexString(h));
                assertEquals(h & 0x3FF, (bits >>> 13) & 0x3FF, "NaN payload of " + Integer.toHexString(h));
            } else {
                assertEquals(Double.doubleToRawLongBits(ref), Double.doubleToRawLongBits(f), "half " + Integer.toHexString(h));
            }
            // A NaN comes back quiet (the kernels' casts define it so); every other pattern comes back as it was.
            int back = Double.isNaN(ref) ? h | 0x200 : h;
            assertEquals(back, HalfConversions.floatToHalf(f) & 0xFFFF, "round trip of half " + Integer.toHexString(h));
        }
    }

    @Test
    void everyBf16PatternDecodesExactlyAndRoundTrips() {
        for (int b = 0; b < 1 << 16; b++) {
            float f = HalfConversions.bf16ToFloat(b);
            double ref = bf16Value(b);
            if (Double.isNaN(ref)) {
                assertTrue(Float.isNaN(f), "bf16 " + Integer.toHexString(b) + " is NaN");
            } else {
                assertEquals(Double.doubleToRawLongBits(ref), Double.doubleToRawLongBits(f), "bf16 " + Integer.toHexString(b));
            }
            int back = Double.isNaN(ref) ? b | 0x40 : b;
            assertEquals(back, HalfConversions.floatToBf16(f) & 0xFFFF, "round trip of bf16 " + Integer.toHexString(b));
        }
    }

    /** Nearest-even rounding onto a sorted list of the non-negative finite values of a 16-bit format. */
    private static final class Rounder {
        final double[] values; // by bit pattern 0..maxFinite, then the overflow candidate (2^emax+1) as infinity
        final int infBits;

        Rounder(int maxFinite, int infBits, java.util.function.IntToDoubleFunction decode, double overflow) {
            values = new double[maxFinite + 2];
            for (int b = 0; b <= maxFinite; b++) values[b] = decode.applyAsDouble(b);
            values[maxFinite + 1] = overflow; // rounding to it means infinity (its pattern infBits is even)
            this.infBits = infBits;
            for (int i = 1; i < values.length; i++) assertTrue(values[i] > values[i - 1], "sorted at " + i);
        }

        int round(float f) {
            int sign = (Float.floatToRawIntBits(f) >>> 31) << 15;
            double a = Math.abs((double) f);
            if (Double.isInfinite(a) || a >= values[values.length - 1]) return sign | infBits;
            int i = Arrays.binarySearch(values, a);
            if (i >= 0) return sign | (i == values.length - 1 ? infBits : i);
            int hi = -i - 1, lo = hi - 1;
            BigDecimal x = new BigDecimal(a);
            int c = x.subtract(new BigDecimal(values[lo])).compareTo(new BigDecimal(values[hi]).subtract(x));
            int pick = c < 0 ? lo : c > 0 ? hi : (lo % 2 == 0 ? lo : hi);
            return sign | (pick == values.length - 1 ? infBits : pick);
        }
    }

    private static final Rounder HALF = new Rounder(0x7BFF, 0x7C00, HalfConversionsTest::halfValue, 65536.0);
    private static final Rounder BF16 = new Rounder(0x7F7F, 0x7F80, HalfConversionsTest::bf16Value, Math.scalb(1.0, 128));

    /** Floats where rounding is decided: every midpoint between neighbours, a float either side, and the values. */
    private static List<Float> boundaries(double[] values) {
        List<Float> out = new ArrayList<>();
        for (int i = 0; i + 1 < values.length; i++) {
            float v = (float) values[i];
            float mid = (float) ((values[i] + values[i + 1]) / 2); // exact: a float whenever values are floats
            for (float f : new float[] {v, mid, Math.nextDown(mid), Math.nextUp(mid), Math.nextUp(v)}) {
                out.add(f);
                out.add(-f);
            }
        }
        return out;
    }

    private static List<Float> specials() {
        List<Float> out = new ArrayList<>(List.of(0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f,
                65504f, 65519.996f, 65520f, 65536f, 0x1p-24f, 0x1p-25f, Math.nextUp(0x1p-25f), Math.nextDown(0x1p-25f),
                0x1p-14f, Math.nextDown(0x1p-14f), 0x1.ffcp-15f, 0x1.ffep-15f, 3.3895314e38f, 3.3961776e38f));
        return out;
    }

    private static void check(String what, Rounder r, java.util.function.IntUnaryOperator convert, Iterable<Float> xs) {
        for (float f : xs) {
            int want = r.round(f), got = convert.applyAsInt(Float.floatToRawIntBits(f)) & 0xFFFF;
            if (want != got) {
                fail(what + "(" + f + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + "): want 0x"
                        + Integer.toHexString(want) + ", got 0x" + Integer.toHexString(got) + " (seed " + SEED + ")");
            }
        }
    }

    @Test
    void floatToHalfRoundsToNearestEvenAtEveryBoundary() {
        check("floatToHalf", HALF, b -> HalfConversions.floatToHalf(Float.intBitsToFloat(b)), boundaries(HALF.values));
        check("floatToHalf", HALF, b -> HalfConversions.floatToHalf(Float.intBitsToFloat(b)), specials());
    }

    @Test
    void floatToBf16RoundsToNearestEvenAtEveryBoundary() {
        check("floatToBf16", BF16, b -> HalfConversions.floatToBf16(Float.intBitsToFloat(b)), boundaries(BF16.values));
        check("floatToBf16", BF16, b -> HalfConversions.floatToBf16(Float.intBitsToFloat(b)), specials());
    }

    @Test
    void randomFloatsRoundLikeTheReference() {
        SplittableRandom rng = new SplittableRandom(SEED);
        List<Float> xs = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            float any = Float.intBitsToFloat(rng.nextInt()); // the whole float range
            if (!Float.isNaN(any)) xs.add(any);
            // and the half range, densely: exponents from below the least subnormal to above the largest half
            xs.add((float) Math.scalb(rng.nextDouble(1, 2), rng.nextInt(-27, 17)) * (rng.nextBoolean() ? 1 : -1));
        }
        check("floatToHalf", HALF, b -> HalfConversions.floatToHalf(Float.intBitsToFloat(b)), xs);
        check("floatToBf16", BF16, b -> HalfConversions.floatToBf16(Float.intBitsToFloat(b)), xs);
    }

    @Test
    void nanStaysNanWithItsSign() {
        for (int bits : new int[] {0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7F80_1000, 0x7FFF_FFFF, 0x7FA0_0000}) {
            float nan = Float.intBitsToFloat(bits);
            int h = HalfConversions.floatToHalf(nan) & 0xFFFF;
            assertTrue((h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0, "half NaN for " + Integer.toHexString(bits) + ": " + Integer.toHexString(h));
            assertEquals(bits >>> 31, h >>> 15, "half NaN sign");
            int b = HalfConversions.floatToBf16(nan) & 0xFFFF;
            assertTrue((b & 0x7F80) == 0x7F80 && (b & 0x7F) != 0, "bf16 NaN for " + Integer.toHexString(bits) + ": " + Integer.toHexString(b));
            assertEquals(bits >>> 31, b >>> 15, "bf16 NaN sign");
        }
    }

    @Test
    void eightBitFloatsDecodeToTheirDefinitions() {
        // F8_E4M3 ("fn"): bias 7, no infinity, S.1111.111 NaN.
        for (int b = 0; b < 256; b++) {
            int sign = b >>> 7, exp = (b >>> 3) & 0xF, mant = b & 7;
            double ref = exp == 0xF && mant == 7 ? Double.NaN
                    : exp == 0 ? Math.scalb((double) mant, -9) : Math.scalb((double) (8 + mant), exp - 10);
            if (sign == 1) ref = -ref;
            assertEquals(ref, (double) HalfConversions.e4m3ToFloat(b), 0.0, "e4m3 " + b);
            // F8_E5M2: bias 15, IEEE-style infinities and NaN (the top byte of a binary16).
            assertEquals(halfValue(b << 8), (double) HalfConversions.e5m2ToFloat(b), 0.0, "e5m2 " + b);
            double e8 = b == 0xFF ? Double.NaN : Math.scalb(1.0, b - 127);
            assertEquals(e8, (double) HalfConversions.e8m0ToFloat(b), 0.0, "e8m0 " + b);
        }
        assertEquals(448f, HalfConversions.e4m3ToFloat(0x7E));
        assertEquals(-0f, HalfConversions.e4m3ToFloat(0x80));
        assertEquals(0x1p-9f, HalfConversions.e4m3ToFloat(0x01));
        assertEquals(57344f, HalfConversions.e5m2ToFloat(0x7B));
        assertEquals(Float.POSITIVE_INFINITY, HalfConversions.e5m2ToFloat(0x7C));
        assertEquals(1f, HalfConversions.e8m0ToFloat(0x7F));
    }

    @Test
    void unsigned64RoundsToNearestEven() {
        SplittableRandom rng = new SplittableRandom(SEED);
        List<Long> xs = new ArrayList<>(List.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE,
                Long.MIN_VALUE | (1L << 39), Long.MIN_VALUE | (1L << 39) | 1, Long.MIN_VALUE | (3L << 39),
                Long.MIN_VALUE | (1L << 40) | (1L << 39), -(1L << 39), -(1L << 39) - 1));
        for (int i = 0; i < 100_000; i++) xs.add(rng.nextLong());
        for (long v : xs) {
            float got = HalfConversions.u64ToFloat(v);
            BigDecimal exact = new BigDecimal(Long.toUnsignedString(v));
            BigDecimal d = exact.subtract(new BigDecimal(got)).abs();
            for (float other : new float[] {Math.nextUp(got), Math.nextDown(got)}) {
                int c = d.compareTo(exact.subtract(new BigDecimal(other)).abs());
                assertTrue(c < 0 || (c == 0 && (Float.floatToRawIntBits(got) & 1) == 0),
                        "u64 " + Long.toUnsignedString(v) + " -> " + got + " (seed " + SEED + ")");
            }
        }
    }
}
