package org.mtflow.nodes.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.model.Optimizer;

class TaskWeightingTest {

    private static List<Tensor> vec(float... v) { return List.of(Tensor.of(v, v.length)); }

    @Test
    void pcgradProjectsConflictingGradientsAndLeavesOthersAlone() {
        try (JavaOps ops = new JavaOps(1)) {
            int[][] orders = {{1}, {0}};
            // g1 = (1, 0), g2 = (−1, 1): dot −1. g1' = g1 − (−1/2)·g2 = (0.5, 0.5); g2' = g2 − (−1/1)·g1 = (0, 1); sum (0.5, 1.5)
            List<Tensor> conflicting = PcGradWeighting.project(ops, List.of(vec(1, 0), vec(-1, 1)), orders);
            assertArrayEquals(new float[] {0.5f, 1.5f}, conflicting.get(0).data(), 1e-6f);
            // g1 = (1, 0), g2 = (1, 1): dot 1, no conflict, plain sum
            List<Tensor> agreeing = PcGradWeighting.project(ops, List.of(vec(1, 0), vec(1, 1)), orders);
            assertArrayEquals(new float[] {2f, 1f}, agreeing.get(0).data(), 0f);
        }
    }

    @Test
    void pcgradMatchesAFloat64ReferenceOnRandomGradientsSplitOverTensors() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int tasks = 3, a = 5, b = 4;
        double[][] flat = new double[tasks][a + b];
        List<List<Tensor>> grads = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            float[] x = new float[a], y = new float[b];
            for (int i = 0; i < a + b; i++) {
                float v = (float) rnd.nextDouble(-1, 1);
                flat[t][i] = v;
                if (i < a) x[i] = v; else y[i - a] = v;
            }
            grads.add(List.of(Tensor.of(x, a), Tensor.of(y, b)));
        }
        PcGradWeighting pc = (PcGradWeighting) TaskWeighting.of("pcgrad", tasks, 0, 1, Optimizer.Kind.SGD, 0f, seed);
        int[][] orders = pc.orders(tasks, 7);
        double[] want = new double[a + b];
        for (int i = 0; i < tasks; i++) {
            double[] g = flat[i].clone();
            for (int j : orders[i]) {
                double dot = 0, nn = 0;
                for (int k = 0; k < g.length; k++) {
                    dot += g[k] * flat[j][k];
                    nn += flat[j][k] * flat[j][k];
                }
                if (dot < 0) for (int k = 0; k < g.length; k++) g[k] -= dot / nn * flat[j][k];
            }
            for (int k = 0; k < g.length; k++) want[k] += g[k];
        }
        try (JavaOps ops = new JavaOps(1)) {
            List<Tensor> got = PcGradWeighting.project(ops, grads, orders);
            for (int k = 0; k < a + b; k++) {
                float v = k < a ? got.get(0).data()[k] : got.get(1).data()[k - a];
                assertEquals(want[k], v, 1e-5, "element " + k + ", seed " + seed);
            }
        }
    }

    @Test
    void dwaIsEqualForTwoEpochsThenFavoursTheSlowerTask() {
        assertArrayEquals(new double[] {1, 1}, DwaWeighting.weights(List.of(), 2, 2), 0);
        assertArrayEquals(new double[] {1, 1}, DwaWeighting.weights(List.of(new double[] {1, 2}), 2, 2), 0);
        // r = (0.5/1, 1.8/2) = (0.5, 0.9); temp 2: exp(0.25), exp(0.45); w = 2·e^0.25/(e^0.25+e^0.45), ...
        List<double[]> history = List.of(new double[] {9, 9}, new double[] {1, 2}, new double[] {0.5, 1.8});
        double e1 = Math.exp(0.25), e2 = Math.exp(0.45);
        assertArrayEquals(new double[] {2 * e1 / (e1 + e2), 2 * e2 / (e1 + e2)}, DwaWeighting.weights(history, 2, 2), 1e-12);
    }

    @Test
    void uncertaintyLossAndItsGradientInTheLogVariances() {
        double[] s = {0, Math.log(2)}, l = {3, 4};
        // exp(0)·3 + 0 + exp(−ln 2)·4 + ln 2 = 3 + 2 + ln 2
        assertEquals(5 + Math.log(2), UncertaintyWeighting.objective(s, l), 1e-12);
        // 1 − exp(−s)·L: 1 − 3 = −2, 1 − 2 = −1
        assertArrayEquals(new double[] {-2, -1}, UncertaintyWeighting.gradient(s, l), 1e-12);
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] rs = {rnd.nextDouble(-2, 2), rnd.nextDouble(-2, 2)}, rl = {rnd.nextDouble(0.1, 3), rnd.nextDouble(0.1, 3)};
        double[] g = UncertaintyWeighting.gradient(rs, rl);
        for (int t = 0; t < 2; t++) {
            double[] up = rs.clone(), down = rs.clone();
            up[t] += 1e-6;
            down[t] -= 1e-6;
            double numeric = (UncertaintyWeighting.objective(up, rl) - UncertaintyWeighting.objective(down, rl)) / 2e-6;
            assertEquals(numeric, g[t], 1e-6, "central difference, task " + t + ", seed " + seed);
        }
    }

    @Test
    void uncertaintyStepsTheLogVariancesDownTheGradient() {
        try (JavaOps ops = new JavaOps(1)) {
            UncertaintyWeighting u = (UncertaintyWeighting) TaskWeighting.of("uncertainty", 2, 0, 1, Optimizer.Kind.SGD, 0f, 1);
            Map<String, Tensor> out = new java.util.LinkedHashMap<>();
            u.combine(ops, new double[] {3, 0.5}, List.of(Map.of("p", Tensor.of(new float[] {1}, 1)),
                    Map.of("p", Tensor.of(new float[] {2}, 1))), List.of("p"), 0.1f, 0, out);
            // weights were exp(0) = 1 when combining: 1 + 2
            assertEquals(3f, out.get("p").data()[0], 0f);
            // s ← s − 0.1·(1 − L): (0.2, −0.05)
            assertArrayEquals(new double[] {0.2, -0.05}, u.logVariances(), 1e-7);
        }
    }

    @Test
    void gradnormMovesWeightsTowardsTheTargetNormsAndKeepsTheirSum() {
        // w (1, 1), norms (2, 1): G = (2, 1), Ḡ = 1.5. ratios L/L0 = (0.5, 1.0), mean 0.75, relative (2/3, 4/3);
        // alpha 1: targets (1, 2). G1 > 1 → w1 − 0.1·2 = 0.8; G2 < 2 → w2 + 0.1·1 = 1.1; renormalised to sum 2: (1.6/1.9, 2.2/1.9)
        double[] w = GradNormWeighting.update(new double[] {1, 1}, new double[] {2, 1}, new double[] {0.5, 1},
                new double[] {1, 1}, 1, 0.1);
        assertArrayEquals(new double[] {1.6 / 1.9, 2.2 / 1.9}, w, 1e-12);
        // alpha 0: targets are Ḡ for both; same signs here
        double[] w0 = GradNormWeighting.update(new double[] {1, 1}, new double[] {2, 1}, new double[] {0.5, 1},
                new double[] {1, 1}, 0, 0.1);
        assertArrayEquals(new double[] {1.6 / 1.9, 2.2 / 1.9}, w0, 1e-12);
    }

    @Test
    void pcgradProjectsOnlyTheSharedGradientsAndPassesTheHeadsThrough() {
        try (JavaOps ops = new JavaOps(1)) {
            TaskWeighting pc = TaskWeighting.of("pcgrad", 2, 0, 1, Optimizer.Kind.SGD, 0f, 3);
            Tensor headA = Tensor.of(new float[] {5, -6}, 2), headB = Tensor.of(new float[] {-7}, 1);
            Map<String, Tensor> out = new java.util.LinkedHashMap<>();
            pc.combine(ops, new double[] {1, 1},
                    List.of(Map.of("trunk.0.weight", Tensor.of(new float[] {1, 0}, 2), "head.a.weight", headA),
                            Map.of("trunk.0.weight", Tensor.of(new float[] {-1, 1}, 2), "head.b.weight", headB)),
                    List.of("trunk.0.weight"), 0.1f, 0, out);
            assertArrayEquals(new float[] {0.5f, 1.5f}, out.get("trunk.0.weight").data(), 1e-6f);
            assertArrayEquals(headA.data(), out.get("head.a.weight").data(), 0f);
            assertArrayEquals(headB.data(), out.get("head.b.weight").data(), 0f);
            assertEquals(3, out.size());
        }
    }

    @Test
    void gradnormWeighsThisStepWithTheCurrentWeightsThenUpdatesThem() {
        try (JavaOps ops = new JavaOps(1)) {
            TaskWeighting gn = TaskWeighting.of("gradnorm", 2, 1, 1, Optimizer.Kind.SGD, 0f, 3);
            // the case of gradnormMovesWeightsTowardsTheTargetNormsAndKeepsTheirSum, with the first losses (1, 1) then (0.5, 1)
            List<Map<String, Tensor>> grads = List.of(Map.of("trunk.0.bias", Tensor.of(new float[] {9}, 1),
                            "trunk.0.weight", Tensor.of(new float[] {0, 2}, 2)),
                    Map.of("trunk.0.bias", Tensor.of(new float[] {9}, 1), "trunk.0.weight", Tensor.of(new float[] {1, 0}, 2)));
            List<String> shared = List.of("trunk.0.weight", "trunk.0.bias");
            Map<String, Tensor> first = new java.util.LinkedHashMap<>();
            gn.combine(ops, new double[] {1, 1}, grads, shared, 0.1f, 0, first);
            assertArrayEquals(new float[] {1, 2}, first.get("trunk.0.weight").data(), 0f);
            double[] w = gn.weights();
            Map<String, Tensor> second = new java.util.LinkedHashMap<>();
            gn.combine(ops, new double[] {0.5, 1}, grads, shared, 0.1f, 1, second);
            assertArrayEquals(new float[] {(float) w[1], (float) (2 * w[0])}, second.get("trunk.0.weight").data(), 1e-6f);
            assertArrayEquals(GradNormWeighting.update(w, new double[] {2, 1}, new double[] {0.5, 1}, new double[] {1, 1}, 1, 0.1f),
                    gn.weights(), 1e-12);
        }
    }
}
