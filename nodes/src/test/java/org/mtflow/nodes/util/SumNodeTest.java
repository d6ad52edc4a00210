package org.mtflow.nodes.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

class SumNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @Test
    void sumsSeededRandomTensorsElementByElementWithinFloatToleranceOfAFloat64Reference() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Integer> shape = List.of(1 + rnd.nextInt(40), 1 + rnd.nextInt(40));
        int k = 2 + rnd.nextInt(4);
        Workflows w = Workflows.named("sum", seed);
        String[] refs = new String[k];
        for (int i = 0; i < k; i++) {
            // Mixed magnitudes, so that float32 rounding in the sum is real and must stay in bounds.
            double scale = Math.pow(10, rnd.nextInt(4));
            w.task("v" + i, "util.random").with("shape", shape).with("low", -scale).with("high", scale);
            refs[i] = "v" + i + ".tensor";
        }
        w.task("s", "util.sum").inputs("values", refs);
        String msg = "seed=" + seed + " shape=" + shape + " k=" + k;
        NodeRuns.Run run = runs.run(w.build());
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());

        List<Tensor> values = new ArrayList<>();
        for (int i = 0; i < k; i++) values.add(run.tensor("v" + i, "tensor"));
        Tensor sum = run.tensor("s", "tensor");
        assertArrayEquals(values.get(0).shape(), sum.shape(), msg);
        for (int e = 0; e < sum.size(); e++) {
            double ref = 0, abs = 0;
            for (Tensor v : values) {
                ref += v.data()[e];
                abs += Math.abs(v.data()[e]);
            }
            // k-1 float32 additions: each rounds by at most half an ulp of a partial sum <= abs.
            double tol = k * Math.ulp((float) abs) + 1e-30;
            double got = sum.data()[e];
            if (Math.abs(got - ref) > tol) {
                throw new AssertionError(msg + ": element " + e + " is " + got + ", float64 reference " + ref
                        + " (tolerance " + tol + ")");
            }
        }
    }

    @Test
    void aTensorAddedToItselfIsExactlyTwiceItAndASingleValueIsItself() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(Workflows.named("sum-self", seed)
                .task("a", "util.random").with("shape", List.of(9, 11))
                .task("twice", "util.sum").inputs("values", "a.tensor", "a.tensor")
                .task("once", "util.sum").inputs("values", "a.tensor").build());
        String msg = "seed=" + seed;
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        float[] a = run.tensor("a", "tensor").data();
        float[] twice = run.tensor("twice", "tensor").data();
        for (int i = 0; i < a.length; i++) assertEquals(2 * a[i], twice[i], 0f, msg + ": element " + i);
        // One value: the sum is that tensor, written the same way, so it is the very same artifact.
        assertEquals(run.hash("a", "tensor"), run.hash("once", "tensor"), msg);
    }

    @Test
    void mismatchedShapesAreAPermanentErrorThatIsNotRetried() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(Workflows.named("sum-mismatch", seed)
                .task("a", "util.random").with("shape", List.of(3, 4))
                .task("b", "util.random").with("shape", List.of(4, 3))
                .task("s", "util.sum").inputs("values", "a.tensor", "b.tensor").retry(3)
                .task("after", "util.noop").inputs("x", "s.tensor").build());
        String msg = "seed=" + seed + ": " + run.report();
        assertFalse(run.outcome().ok(), msg);
        assertEquals("failed", run.status("s"), msg);
        assertEquals(1, run.attempts("s"), msg);
        List<JsonNode> failed = run.events("TaskFailed", "s");
        assertEquals(1, failed.size(), msg);
        assertEquals("permanent", failed.get(0).path("error").asText(), msg);
        assertTrue(failed.get(0).path("last").asBoolean(), msg);
        String message = failed.get(0).path("message").asText();
        assertTrue(message.contains("values[1] has shape [4, 3]") && message.contains("[3, 4]"), message);
        assertTrue(run.events("TaskRetrying", "s").isEmpty(), msg);
        assertEquals("skipped", run.status("after"), msg);
    }

    @Test
    void sameElementCountButDifferentShapeIsAlsoRejected() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("sum-reshape", 1)
                .task("a", "util.random").with("shape", List.of(12))
                .task("b", "util.random").with("shape", List.of(3, 4))
                .task("s", "util.sum").inputs("values", "a.tensor", "b.tensor").retry(2).build());
        assertEquals("failed", run.status("s"), run.report().toString());
        assertEquals(1, run.attempts("s"), run.report().toString());
        assertTrue(run.task("s").path("error").asText().startsWith("permanent"), run.report().toString());
    }
}
