package org.mtflow.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    private static String ctx(String what) {
        return what + " (seed " + SEED + ")";
    }

    @Test
    void everyHalfDecodesToItsValueAndRoundTrips() {
        for (int h = 0; h < 1 << 16; h++) {
            float f = HalfFloats.halfToFloat((short) h);
            double value = Reference.f16Value(h);
            String at = "half 0x" + Integer.toHexString(h);
            if (Double.isNaN(value)) {
                assertTrue(Float.isNaN(f), at + " decodes to NaN");
                // The payload survives both ways; a signalling NaN comes back quiet.
                assertEquals(h | 0x200, HalfFloats.floatToHalf(f) & 0xffff, at + " NaN round trip");
            } else {
                assertEquals(value, f, 0.0, at + " value");
                assertEquals(Double.doubleToRawLongBits(value) < 0, Float.floatToRawIntBits(f) < 0, at + " sign");
                assertEquals(h, HalfFloats.floatToHalf(f) & 0xffff, at + " round trip");
            }
        }
    }

    @Test
    void everyBf16DecodesToItsValueAndRoundTrips() {
        for (int h = 0; h < 1 << 16; h++) {
            float f = HalfFloats.bf16ToFloat((short) h);
            double value = Reference.bf16Value(h);
            String at = "bf16 0x" + Integer.toHexString(h);
            if (Double.isNaN(value)) {
                assertTrue(Float.isNaN(f), at + " decodes to NaN");
                assertEquals(h | 0x40, HalfFloats.floatToBf16(f) & 0xffff, at + " NaN round trip");
            } else {
                assertEquals(value, f, 0.0, at + " value");
                assertEquals(Double.doubleToRawLongBits(value) < 0, Float.floatToRawIntBits(f) < 0, at + " sign");
                assertEquals(h, HalfFloats.floatToBf16(f) & 0xffff, at + " round trip");
            }
        }
    }

    /** Every halfway point between neighbouring halves, and the floats just either side of it. */
    @Test
    void halfRoundsTiesToEvenAndNeighboursToNearest() {
        for (int h = 0; h < 0x7c00; h++) {
            float lo = HalfFloats.halfToFloat((short) h);
            float hi = h + 1 == 0x7c00 ? 65536f : HalfFloats.halfToFloat((short) (h + 1));
            float mid = (lo + hi) / 2; // 12 significant bits: exact in float
            for (float v : new float[] {mid, Math.nextDown(mid), Math.nextUp(mid), lo, -mid, -Math.nextUp(mid)}) {
                checkHalf(v);
            }
        }
    }

    @Test
    void bf16RoundsTiesToEvenAndNeighboursToNearest() {
        for (int h = 0; h < 0x7f80; h++) {
            float lo = HalfFloats.bf16ToFloat((short) h);
            float hi = HalfFloats.bf16ToFloat((short) (h + 1)); // 0x7f80 is +∞: its "midpoint" overflows
            float mid = h + 1 == 0x7f80 ? Float.MAX_VALUE : (lo + hi) / 2;
            for (float v : new float[] {mid, Math.nextDown(mid), Math.nextUp(mid), lo, -mid}) checkBf16(v);
        }
    }

    @Test
    void randomFloatsRoundToNearest() {
        SplittableRandom rng = new SplittableRandom(SEED);
        for (int i = 0; i < 2_000_000; i++) {
            // Any bit pattern, and (half the time) a float within the half's range.
            float v = (i & 1) == 0 ? Float.intBitsToFloat(rng.nextInt())
                    : (float) ((rng.nextDouble() * 2 - 1) * Math.scalb(1.0, rng.nextInt(-26, 17)));
            if (Float.isNaN(v)) continue;
            checkHalf(v);
            checkBf16(v);
        }
        for (float v : Reference.SPECIALS) {
            if (Float.isNaN(v)) continue;
            checkHalf(v);
            checkBf16(v);
        }
    }

    @Test
    void nanStaysNanWithItsSign() {
        for (int bits : new int[] {0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0x7f802000, 0xffbfffff}) {
            float nan = Float.intBitsToFloat(bits);
            int h = HalfFloats.floatToHalf(nan) & 0xffff, b = HalfFloats.floatToBf16(nan) & 0xffff;
            assertTrue((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0, "F16 of NaN 0x" + Integer.toHexString(bits));
            assertTrue((b & 0x7f80) == 0x7f80 && (b & 0x7f) != 0, "BF16 of NaN 0x" + Integer.toHexString(bits));
            assertEquals(bits < 0, (h & 0x8000) != 0, "F16 NaN sign");
            assertEquals(bits < 0, (b & 0x8000) != 0, "BF16 NaN sign");
            assertTrue(Float.isNaN(HalfFloats.halfToFloat((short) h)) && Float.isNaN(HalfFloats.bf16ToFloat((short) b)));
        }
    }

    @Test
    void bulkConversionsMatchScalarOnes() {
        SplittableRandom rng = new SplittableRandom(SEED + 1);
        float[] src = Reference.withSpecials(rng, 1000).data();
        short[] h = new short[1010], b = new short[1010];
        HalfFloats.toHalf(src, 0, h, 7, src.length);
        HalfFloats.toBf16(src, 0, b, 7, src.length);
        float[] backH = new float[1000], backB = new float[1000];
        HalfFloats.fromHalf(h, 7, backH, 0, 1000);
        HalfFloats.fromBf16(b, 7, backB, 0, 1000);
        for (int i = 0; i < src.length; i++) {
            assertEquals(HalfFloats.floatToHalf(src[i]), h[7 + i], ctx("toHalf " + i));
            assertEquals(HalfFloats.floatToBf16(src[i]), b[7 + i], ctx("toBf16 " + i));
            assertEquals(Float.floatToRawIntBits(HalfFloats.halfToFloat(h[7 + i])), Float.floatToRawIntBits(backH[i]));
            assertEquals(Float.floatToRawIntBits(HalfFloats.bf16ToFloat(b[7 + i])), Float.floatToRawIntBits(backB[i]));
        }
        assertArrayEquals(new short[7], java.util.Arrays.copyOf(h, 7), "nothing written before the offset");
    }

    private static void checkHalf(float v) {
        int expect = Reference.roundToF16(v), got = HalfFloats.floatToHalf(v) & 0xffff;
        if (expect != got) {
            fail(ctx("F16 of " + v + " (0x" + Integer.toHexString(Float.floatToRawIntBits(v)) + "): expected 0x"
                    + Integer.toHexString(expect) + ", got 0x" + Integer.toHexString(got)));
        }
    }

    private static void checkBf16(float v) {
        int expect = Reference.roundToBf16(v), got = HalfFloats.floatToBf16(v) & 0xffff;
        if (expect != got) {
            fail(ctx("BF16 of " + v + " (0x" + Integer.toHexString(Float.floatToRawIntBits(v)) + "): expected 0x"
                    + Integer.toHexString(expect) + ", got 0x" + Integer.toHexString(got)));
        }
    }
}
