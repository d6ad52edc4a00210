package org.mtflow.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.kernels.HalfFloats;
import org.mtflow.kernels.TensorOps.HalfType;

/** The readers' and writers' codec gives HalfFloats' scalar bits for every pattern, offset and length. */
class HalfCodecTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    @Test
    void decodeAndEncodeGiveTheScalarBitsAtAnyOffset() {
        SplittableRandom rng = new SplittableRandom(SEED);
        for (HalfType type : HalfType.values()) {
            // Every 16-bit pattern (NaNs, infinities, subnormals, ±0), then random lengths around the block size.
            int[] lengths = {1 << 16, 1, 7, Parallel.BLOCK + 3, 5 * Parallel.BLOCK + rng.nextInt(Parallel.BLOCK), 300_000 + rng.nextInt(1000)};
            for (int n : lengths) {
                short[] src = new short[n];
                for (int i = 0; i < n; i++) src[i] = (short) (n == 1 << 16 ? i : rng.nextInt());
                int at = rng.nextInt(40);
                float[] got = new float[at + n + 3];
                java.util.Arrays.fill(got, Float.NaN);
                HalfCodec.decode(src, type, got, at, n);
                String what = "seed=" + SEED + " " + type + " n=" + n + " at=" + at;
                for (int i = 0; i < n; i++) {
                    float want = type == HalfType.F16 ? HalfFloats.halfToFloat(src[i]) : HalfFloats.bf16ToFloat(src[i]);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[at + i]), what + " decode " + i);
                }
                // Encode random floats (and the decoded values, which round-trip) from an offset.
                float[] floats = new float[at + n];
                for (int i = 0; i < at + n; i++) {
                    floats[i] = rng.nextInt(4) == 0 ? got[Math.min(at + n - 1, i)] : Float.intBitsToFloat(rng.nextInt());
                }
                short[] enc = new short[n];
                HalfCodec.encode(floats, at, type, enc, n);
                for (int i = 0; i < n; i++) {
                    short want = type == HalfType.F16 ? HalfFloats.floatToHalf(floats[at + i]) : HalfFloats.floatToBf16(floats[at + i]);
                    assertEquals(want, enc[i], what + " encode " + i + " of " + floats[at + i]);
                }
            }
        }
    }
}
