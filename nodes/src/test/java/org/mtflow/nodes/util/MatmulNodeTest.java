package org.mtflow.nodes.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

class MatmulNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    /** Runs a·b for random a [m, k] and b [k, n] and checks every element against a float64 triple loop. */
    private static void checkProduct(long seed, int m, int k, int n) throws Exception {
        String msg = "seed=" + seed + " m=" + m + " k=" + k + " n=" + n;
        NodeRuns.Run run = runs.run(Workflows.named("matmul", seed)
                .task("a", "util.random").with("shape", List.of(m, k))
                .task("b", "util.random").with("shape", List.of(k, n)).with("low", -2.0).with("high", 3.0)
                .task("c", "util.matmul").input("a", "a.tensor").input("b", "b.tensor").build());
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        float[] a = run.tensor("a", "tensor").data();
        float[] b = run.tensor("b", "tensor").data();
        Tensor c = run.tensor("c", "tensor");
        assertArrayEquals(new int[] {m, n}, c.shape(), msg);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double ref = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a[i * k + p] * b[p * n + j];
                    ref += t;
                    abs += Math.abs(t);
                }
                // float32 accumulation over k products: error bounded by about k·eps·Σ|a·b|.
                double tol = 2.0 * k * 0x1.0p-24 * abs + 1e-6;
                double got = c.data()[i * n + j];
                if (Math.abs(got - ref) > tol) {
                    throw new AssertionError(msg + ": c[" + i + "][" + j + "] = " + got + ", float64 reference "
                            + ref + " (tolerance " + tol + ")");
                }
            }
        }
        JsonNode metrics = run.metrics("c");
        assertEquals("java", metrics.path("backend").asText(), msg + ": " + metrics);
        assertEquals(List.of(m, k, n), List.of(metrics.path("shape").get(0).asInt(),
                metrics.path("shape").get(1).asInt(), metrics.path("shape").get(2).asInt()), msg);
        assertTrue(metrics.path("gflops").isNumber() && metrics.path("gflops").asDouble() >= 0, msg + ": " + metrics);
    }

    @Test
    void productOfRandomOddShapesMatchesAFloat64TripleLoop() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        checkProduct(seed, 1 + rnd.nextInt(70), 1 + rnd.nextInt(70), 1 + rnd.nextInt(70));
    }

    @Test
    void productSpanningSeveralRowBlocksMatchesAFloat64TripleLoop() throws Exception {
        checkProduct(TestSeeds.next(), 133, 257, 65);
    }

    @Test
    void vectorShapesWork() throws Exception {
        long seed = TestSeeds.next();
        checkProduct(seed, 1, 50, 1);
        checkProduct(seed, 37, 1, 23);
    }

    @Test
    void mismatchedInnerDimensionIsAPermanentError() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("matmul-bad", 3)
                .task("a", "util.random").with("shape", List.of(4, 5))
                .task("b", "util.random").with("shape", List.of(6, 2))
                .task("c", "util.matmul").input("a", "a.tensor").input("b", "b.tensor").retry(3).build());
        assertEquals("failed", run.status("c"), run.report().toString());
        assertEquals(1, run.attempts("c"), run.report().toString());
        String error = run.task("c").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains("[4, 5]") && error.contains("[6, 2]"), error);
    }

    @Test
    void rankOtherThanTwoIsAPermanentError() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("matmul-rank", 3)
                .task("a", "util.random").with("shape", List.of(2, 3, 4))
                .task("b", "util.random").with("shape", List.of(4, 2))
                .task("c", "util.matmul").input("a", "a.tensor").input("b", "b.tensor").retry(3).build());
        assertEquals("failed", run.status("c"), run.report().toString());
        assertEquals(1, run.attempts("c"), run.report().toString());
    }
}
