package org.mtflow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every backend must do, checked against float64 references on fresh random inputs. Each run
 * draws a new seed and prints it; set {@code -Dmtflow.test.seed=N} to replay a failure.
 */
public abstract class TensorOpsContract {
    protected static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    protected abstract TensorOps ops();

    /** Called after each op; backends check where the op really ran. */
    protected void afterOp(String op) {}

    static Stream<Arguments> matmulShapes() {
        return Stream.of(Arguments.of(1, 1, 1), Arguments.of(1, 7, 1), Arguments.of(3, 1, 5),
                Arguments.of(4, 4, 4), Arguments.of(5, 3, 513), Arguments.of(33, 17, 1025),
                Arguments.of(64, 64, 64), Arguments.of(127, 200, 130), Arguments.of(256, 300, 512),
                Arguments.of(2, 1000, 3));
    }

    @ParameterizedTest(name = "matmul {0}x{1}x{2}")
    @MethodSource("matmulShapes")
    void matmulMatchesFloat64Reference(int m, int k, int n) {
        SplittableRandom rng = new SplittableRandom(SEED ^ (m * 31L + k * 7L + n));
        Tensor a = Reference.random(rng, m, k), b = Reference.random(rng, k, n);
        Tensor out = Reference.poisoned(m, n);
        ops().matmul(a, b, out);
        afterOp("matmul");
        double err = Reference.relativeError(out.data(), Reference.matmul(a, b), ctx("matmul " + m + "x" + k + "x" + n));
        assertTrue(err < 1e-5, ctx("matmul relative error " + err));
    }

    @Test
    void matmulRejectsMismatchedShapes() {
        assertThrows(IllegalArgumentException.class, () -> ops().matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 2)));
        Tensor a = Tensor.zeros(2, 2);
        assertThrows(IllegalArgumentException.class, () -> ops().matmul(a, Tensor.zeros(2, 2), a));
    }

    @ParameterizedTest(name = "elementwise n={0}")
    @MethodSource("sizes")
    void addAndScaleMatchReference(int n) {
        SplittableRandom rng = new SplittableRandom(SEED + n);
        Tensor a = Reference.random(rng, n), b = Reference.random(rng, n);
        float s = (float) (rng.nextDouble() * 4 - 2);
        Tensor sum = Reference.poisoned(n), scaled = Reference.poisoned(n);
        ops().add(a, b, sum);
        afterOp("add");
        ops().scale(a, s, scaled);
        afterOp("scale");
        for (int i = 0; i < n; i++) {
            // One float rounding each: the result must be the correctly rounded float64 value.
            assertEquals((float) ((double) a.data()[i] + b.data()[i]), sum.data()[i], 0f, ctx("add element " + i));
            assertEquals((float) ((double) s * a.data()[i]), scaled.data()[i], 0f, ctx("scale element " + i));
        }
    }

    @Test
    void addInPlace() {
        SplittableRandom rng = new SplittableRandom(SEED);
        Tensor a = Reference.random(rng, 9000), b = Reference.random(rng, 9000);
        float[] before = a.data().clone();
        ops().add(a, b, a);
        afterOp("add");
        for (int i = 0; i < before.length; i++) assertEquals(before[i] + b.data()[i], a.data()[i], 0f, ctx("element " + i));
    }

    @ParameterizedTest(name = "sum n={0}")
    @MethodSource("sizes")
    void sumMatchesFloat64Reference(int n) {
        SplittableRandom rng = new SplittableRandom(SEED * 3 + n);
        Tensor a = Reference.random(rng, n);
        double ref = 0, abs = 0;
        for (float v : a.data()) {
            ref += v;
            abs += Math.abs(v);
        }
        double got = ops().sum(a);
        afterOp("sum");
        // Float32 accumulation per block: the error is bounded relative to the sum of magnitudes.
        assertEquals(ref, got, 1e-5 * abs + 1e-6, ctx("sum of " + n));
    }

    static Stream<Integer> sizes() {
        return Stream.of(1, 2, 7, 4095, 4096, 4097, 16384, 100_003, 1_000_000);
    }

    protected static String ctx(String what) {
        return what + " (seed " + SEED + ", replay with -Dmtflow.test.seed=" + SEED + ")";
    }
}
