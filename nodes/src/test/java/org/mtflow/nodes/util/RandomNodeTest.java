package org.mtflow.nodes.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

class RandomNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    /**
     * Element i of the stream, computed one element at a time (not through fillUniform's blocks), by
     * the documented rule: min(fma(high − low, u, low), nextDown(high)).
     */
    static float expected(long seed, String taskId, long i, float low, float high) {
        long stream = Philox.stream("task", taskId, "random");
        float u = Philox.toUnitFloat(Philox.bits(seed, stream, i));
        return Math.min(Math.fma(high - low, u, low), Math.nextDown(high));
    }

    static void assertBitsEqual(float[] expected, float[] actual, String msg) {
        assertEquals(expected.length, actual.length, msg + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(msg + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    @Test
    void valuesArePhiloxDrawsOfTheRunSeedAndTaskIdMappedToLowHigh() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Integer> shape = List.of(1 + rnd.nextInt(7), 1 + rnd.nextInt(9), 1 + rnd.nextInt(13));
        double low = -50 + 100 * rnd.nextDouble();
        double high = low + 0.5 + 20 * rnd.nextDouble();
        String msg = "seed=" + seed + " shape=" + shape + " low=" + low + " high=" + high;

        NodeRuns.Run run = runs.run(Workflows.named("random-values", seed)
                .task("r", "util.random").with("shape", shape).with("low", low).with("high", high).build());
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());

        Tensor t = run.tensor("r", "tensor");
        assertArrayEquals(shape.stream().mapToInt(Integer::intValue).toArray(), t.shape(), msg);
        float lo = (float) low, hi = (float) high;
        float[] viaFill = new float[t.size()];
        Philox.fillUniform(viaFill, seed, Philox.stream("task", "r", "random"), 0, lo, hi);
        assertBitsEqual(viaFill, t.data(), msg + " (vs Philox.fillUniform)");
        float[] oneByOne = new float[t.size()];
        for (int i = 0; i < oneByOne.length; i++) oneByOne[i] = expected(seed, "r", i, lo, hi);
        assertBitsEqual(oneByOne, t.data(), msg + " (vs Philox.bits per element)");
        for (int i = 0; i < t.size(); i++) {
            float v = t.data()[i];
            assertTrue(v >= lo && v < hi, msg + ": element " + i + " = " + v + " outside [low, high)");
        }
        // Not degenerate: a uniform draw of this size spreads over most of the range.
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (float v : t.data()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (t.size() >= 100) assertTrue(max - min > 0.8 * (hi - lo), msg + ": spread " + min + ".." + max);
    }

    @Test
    void defaultRangeIsMinusOneToOne() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(Workflows.named("random-default", seed)
                .task("d", "util.random").with("shape", List.of(257)).build());
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        float[] want = new float[257];
        Philox.fillUniform(want, seed, Philox.stream("task", "d", "random"), 0, -1f, 1f);
        assertBitsEqual(want, run.tensor("d", "tensor").data(), "seed=" + seed);
    }

    @Test
    void sameSpecAndSeedGiveBitIdenticalArtifactsOnSeparateEngines(@TempDir Path homeA, @TempDir Path homeB)
            throws Exception {
        long seed = TestSeeds.next();
        WorkflowSpec spec = Workflows.named("random-twice", seed)
                .task("r", "util.random").with("shape", List.of(31, 17)).build();
        String hashA, hashB;
        byte[] bytesA, bytesB;
        try (NodeRuns a = new NodeRuns(homeA); NodeRuns b = new NodeRuns(homeB)) {
            NodeRuns.Run runA = a.run(spec);
            NodeRuns.Run runB = b.run(spec);
            assertTrue(runA.outcome().ok() && runB.outcome().ok(), "seed=" + seed);
            hashA = runA.hash("r", "tensor");
            hashB = runB.hash("r", "tensor");
            bytesA = Files.readAllBytes(runA.artifact("r", "tensor"));
            bytesB = Files.readAllBytes(runB.artifact("r", "tensor"));
            assertEquals(hashA, NodeRuns.sha256(runA.artifact("r", "tensor")), "seed=" + seed + ": store hash");
        }
        assertEquals(hashA, hashB, "seed=" + seed);
        assertArrayEquals(bytesA, bytesB, "seed=" + seed);
    }

    @Test
    void differentTaskIdsAndDifferentRunSeedsDrawDifferentValues() throws Exception {
        long seed = TestSeeds.next();
        List<Integer> shape = List.of(40, 25);
        NodeRuns.Run run = runs.run(Workflows.named("random-ids", seed)
                .task("r1", "util.random").with("shape", shape)
                .task("r2", "util.random").with("shape", shape).build());
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        float[] r1 = run.tensor("r1", "tensor").data();
        float[] r2 = run.tensor("r2", "tensor").data();
        assertNotEquals(run.hash("r1", "tensor"), run.hash("r2", "tensor"), "seed=" + seed);
        assertTrue(equalElements(r1, r2) < 5, "seed=" + seed + ": r1 and r2 share " + equalElements(r1, r2) + " of 1000 values");
        float[] r2Want = new float[r2.length];
        Philox.fillUniform(r2Want, seed, Philox.stream("task", "r2", "random"), 0, -1f, 1f);
        assertBitsEqual(r2Want, r2, "seed=" + seed + " task r2");

        long otherSeed = seed + 1;
        NodeRuns.Run other = runs.run(Workflows.named("random-ids", otherSeed)
                .task("r1", "util.random").with("shape", shape).build());
        float[] r1Other = other.tensor("r1", "tensor").data();
        assertTrue(equalElements(r1, r1Other) < 5, "seeds " + seed + " and " + otherSeed + " drew the same values");
    }

    @Test
    void seedParamOverridesTheRunSeed() throws Exception {
        long seed = TestSeeds.next();
        long paramSeed = new SplittableRandom(seed).nextLong();
        NodeRuns.Run a = runs.run(Workflows.named("random-param-seed", seed)
                .task("p", "util.random").with("shape", List.of(64)).with("seed", paramSeed).build());
        NodeRuns.Run b = runs.run(Workflows.named("random-param-seed", ~seed)
                .task("p", "util.random").with("shape", List.of(64)).with("seed", paramSeed).build());
        String msg = "seed=" + seed + " param seed=" + paramSeed;
        assertTrue(a.outcome().ok() && b.outcome().ok(), msg);
        assertEquals(a.hash("p", "tensor"), b.hash("p", "tensor"), msg + ": the run seed leaked in");
        float[] want = new float[64];
        Philox.fillUniform(want, paramSeed, Philox.stream("task", "p", "random"), 0, -1f, 1f);
        assertBitsEqual(want, a.tensor("p", "tensor").data(), msg);
    }

    @Test
    void zeroSizedShapeGivesAnEmptyTensorOfThatShape() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("random-empty", 7)
                .task("e", "util.random").with("shape", List.of(0, 3)).build());
        assertTrue(run.outcome().ok(), () -> run.report().toString());
        Tensor t = run.tensor("e", "tensor");
        assertArrayEquals(new int[] {0, 3}, t.shape());
        assertEquals(0, t.size());
    }

    private static int equalElements(float[] a, float[] b) {
        int n = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) if (a[i] == b[i]) n++;
        return n;
    }
}
