package org.mtflow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Known values of the reference encoders (they were also compared with JDK 25 over every float). */
class HalfFloatsTest {

    private static void f16(float f, int bits) {
        assertEquals((short) bits, HalfFloats.toF16(f), () -> f + " → " + Integer.toHexString(bits));
    }

    @Test
    void binary16RoundsToNearestEven() {
        f16(1f, 0x3C00);
        f16(-2f, 0xC000);
        f16(0.1f, 0x2E66);
        f16(65504f, 0x7BFF); // the largest half
        f16(65519.996f, 0x7BFF); // just below the midpoint to infinity
        f16(65520f, 0x7C00); // the midpoint rounds to even: infinity
        f16(Float.POSITIVE_INFINITY, 0x7C00);
        f16(0x1p-14f, 0x0400); // smallest normal
        f16(0x1p-24f, 0x0001); // smallest subnormal
        f16(0x1p-25f, 0x0000); // the midpoint to 0 rounds to even: 0
        f16(0x1.8p-25f, 0x0001);
        f16(0x1.8p-24f, 0x0002); // 1.5 ulps: tie to even (2)
        f16(0x1.004p0f, 0x3C01); // 1 + one half-ulp (2^-10)
        f16(0x1.002p0f, 0x3C00); // 1 + half a half-ulp: tie, even stays
        f16(0x1.006p0f, 0x3C02); // 1 + 1.5 half-ulps: tie to even upward
        f16(-0f, 0x8000);
        assertTrue(Float.isNaN(HalfFloats.fromF16(HalfFloats.toF16(Float.NaN))));
        assertEquals(65504f, HalfFloats.fromF16((short) 0x7BFF));
        assertEquals(0x1p-24f, HalfFloats.fromF16((short) 0x0001));
        assertEquals(-0f, HalfFloats.fromF16((short) 0x8000));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.fromF16((short) 0xFC00));
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, HalfFloats.toBf16(1f));
        assertEquals((short) 0x3F80, HalfFloats.toBf16(Float.intBitsToFloat(0x3F808000))); // tie, even stays
        assertEquals((short) 0x3F82, HalfFloats.toBf16(Float.intBitsToFloat(0x3F818000))); // tie, odd rounds up
        assertEquals((short) 0x3F81, HalfFloats.toBf16(Float.intBitsToFloat(0x3F808001)));
        assertEquals((short) 0x7F80, HalfFloats.toBf16(Float.MAX_VALUE)); // overflows to infinity
        assertTrue(Float.isNaN(HalfFloats.fromBf16(HalfFloats.toBf16(Float.intBitsToFloat(0x7F800001)))));
        assertEquals(1f, HalfFloats.fromBf16((short) 0x3F80));
    }
}
