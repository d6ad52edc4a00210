package org.mtflow.nodes.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        PcGradWeighting pc = (PcGradWeighting) TaskWeighting.of("pcgrad", tasks, 0, 1, 0, Optimizer.Kind.SGD, 0f, seed);
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
            UncertaintyWeighting u = (UncertaintyWeighting) TaskWeighting.of("uncertainty", 2, 0, 1, 0, Optimizer.Kind.SGD, 0f, 1);
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
            TaskWeighting pc = TaskWeighting.of("pcgrad", 2, 0, 1, 0, Optimizer.Kind.SGD, 0f, 3);
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
            TaskWeighting gn = TaskWeighting.of("gradnorm", 2, 1, 1, 0, Optimizer.Kind.SGD, 0f, 3);
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

    @Test
    void cagradOnHandComputedCases() {
        try (JavaOps ops = new JavaOps(1)) {
            // g1 = (1, 0), g2 = (0, 1), c = 0.5: by symmetry w = (½, ½), g_w = g_0 = (½, ½), λ = c·‖g_0‖/‖g_w‖ = 0.5;
            // T·d = 2·(g_0 + 0.5·g_0)/(1 + 0.25) = (1.2, 1.2)
            assertArrayEquals(new float[] {1.2f, 1.2f}, cagrad(ops, 0.5, vec(1, 0), vec(0, 1)), 1e-6f);
            // g1 = (1, 0), g2 = (0, 2), c = 0.5: F(a) = 2 − 1.5a + 0.5·√1.25·√(a² + 4(1−a)²) falls all the way to a = 1
            // (F'(1) = −1.5 + 0.5·√1.25 < 0), so w = (1, 0), g_w = g1, λ = 0.5·√1.25;
            // T·d = 2·((0.5, 1) + λ·(1, 0))/1.25 = ((1 + 2λ)/1.25, 1.6)
            double lambda = 0.5 * Math.sqrt(1.25);
            assertArrayEquals(new float[] {(float) ((1 + 2 * lambda) / 1.25), 1.6f}, cagrad(ops, 0.5, vec(1, 0), vec(0, 2)), 1e-6f);
            // c = 0: the equal weighting's sum
            assertArrayEquals(new float[] {-1f, 3f}, cagrad(ops, 0, vec(1, 0), vec(-2, 3)), 0f);
        }
    }

    /** The combined trunk gradient of cagrad with {@code c} on one shared tensor per task. */
    private static float[] cagrad(JavaOps ops, double c, List<Tensor> g1, List<Tensor> g2) {
        TaskWeighting cg = TaskWeighting.of("cagrad", 2, 0, 1, c, Optimizer.Kind.SGD, 0f, 3);
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        cg.combine(ops, new double[] {1, 1}, List.of(Map.of("trunk.0.weight", g1.get(0)), Map.of("trunk.0.weight", g2.get(0))),
                List.of("trunk.0.weight"), 0.1f, 0, out);
        return out.get("trunk.0.weight").data();
    }

    @Test
    void cagradMatchesAFloat64ReferenceOnRandomTwoTaskGradientsAndPassesTheHeadsThrough() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 20; round++) {
            int a = 1 + rnd.nextInt(4), b = 1 + rnd.nextInt(4);
            double c = rnd.nextDouble(0.05, 0.95);
            double[][] flat = new double[2][a + b];
            List<Map<String, Tensor>> grads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                float[] x = new float[a], y = new float[b];
                for (int i = 0; i < a + b; i++) {
                    float v = (float) rnd.nextDouble(-1, 1);
                    flat[t][i] = v;
                    if (i < a) x[i] = v; else y[i - a] = v;
                }
                grads.add(Map.of("trunk.0.weight", Tensor.of(x, a), "trunk.0.bias", Tensor.of(y, b),
                        "head." + t + ".weight", Tensor.of(new float[] {(float) rnd.nextDouble()}, 1)));
            }
            // Reference: w = (p, 1 − p), F(p) = g_wᵀg_0 + c‖g_0‖‖g_w‖ is convex in p; golden-section search on [0, 1].
            int n = a + b;
            double[] g0 = new double[n];
            for (int k = 0; k < n; k++) g0[k] = (flat[0][k] + flat[1][k]) / 2;
            double g0n = Math.sqrt(dot(g0, g0));
            java.util.function.DoubleFunction<double[]> gw = p -> {
                double[] v = new double[n];
                for (int k = 0; k < n; k++) v[k] = p * flat[0][k] + (1 - p) * flat[1][k];
                return v;
            };
            java.util.function.DoubleUnaryOperator f = p -> dot(gw.apply(p), g0) + c * g0n * Math.sqrt(dot(gw.apply(p), gw.apply(p)));
            double lo = 0, hi = 1, phi = (Math.sqrt(5) - 1) / 2;
            for (int it = 0; it < 200; it++) {
                double m1 = hi - phi * (hi - lo), m2 = lo + phi * (hi - lo);
                if (f.applyAsDouble(m1) <= f.applyAsDouble(m2)) hi = m2; else lo = m1;
            }
            double[] w = gw.apply((lo + hi) / 2);
            double lambda = c * g0n / Math.sqrt(dot(w, w));
            String msg = "seed " + seed + ", round " + round + ", c " + c;
            try (JavaOps ops = new JavaOps(1)) {
                TaskWeighting cg = TaskWeighting.of("cagrad", 2, 0, 1, c, Optimizer.Kind.SGD, 0f, seed);
                Map<String, Tensor> out = new java.util.LinkedHashMap<>();
                cg.combine(ops, new double[] {1, 1}, grads, List.of("trunk.0.weight", "trunk.0.bias"), 0.1f, round, out);
                for (int k = 0; k < n; k++) {
                    double want = 2 * (g0[k] + lambda * w[k]) / (1 + c * c);
                    float got = k < a ? out.get("trunk.0.weight").data()[k] : out.get("trunk.0.bias").data()[k - a];
                    assertEquals(want, got, 1e-5 * (1 + Math.abs(want)), msg + ", element " + k);
                }
                for (int t = 0; t < 2; t++) {
                    assertArrayEquals(grads.get(t).get("head." + t + ".weight").data(), out.get("head." + t + ".weight").data(), 0f, msg);
                }
                assertEquals(4, out.size(), msg);
            }
        }
    }

    @Test
    void cagradsWeightsMeetTheOptimalityConditionsOnTheSimplexForMoreTasks() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 20; round++) {
            int tasks = 3 + rnd.nextInt(4), n = tasks + rnd.nextInt(6);
            double c = rnd.nextDouble(0.05, 0.95);
            double[][] g = new double[tasks][n];
            for (double[] row : g) for (int k = 0; k < n; k++) row[k] = rnd.nextDouble(-1, 1);
            double[][] gram = new double[tasks][tasks];
            for (int i = 0; i < tasks; i++) for (int j = 0; j < tasks; j++) gram[i][j] = dot(g[i], g[j]);
            double[] coef = CaGradWeighting.coefficients(gram, c);
            // coef_i = T·(1/T + λw_i)/(1 + c²): recover λw, then w (Σw = 1) and λ
            double[] lw = new double[tasks];
            double sum = 0;
            for (int i = 0; i < tasks; i++) {
                lw[i] = coef[i] * (1 + c * c) / tasks - 1.0 / tasks;
                sum += lw[i];
            }
            String msg = "seed " + seed + ", round " + round + ", " + tasks + " tasks, c " + c;
            double[] w = new double[tasks], g0 = new double[n], gw = new double[n];
            for (int i = 0; i < tasks; i++) {
                w[i] = lw[i] / sum;
                assertTrue(w[i] >= -1e-9, msg + ": w" + i + " = " + w[i]);
                for (int k = 0; k < n; k++) {
                    g0[k] += g[i][k] / tasks;
                    gw[k] += w[i] * g[i][k];
                }
            }
            assertEquals(c * Math.sqrt(dot(g0, g0)) / Math.sqrt(dot(gw, gw)), sum, 1e-9 * (1 + sum), msg + ": λ");
            // KKT on the simplex: ∂F/∂w_i = g_iᵀg_0 + c‖g_0‖·g_iᵀg_w/‖g_w‖ is the same on the support and no smaller off it
            double[] dF = new double[tasks];
            double onSupport = Double.NaN;
            for (int i = 0; i < tasks; i++) {
                dF[i] = dot(g[i], g0) + c * Math.sqrt(dot(g0, g0)) * dot(g[i], gw) / Math.sqrt(dot(gw, gw));
                if (w[i] > 1e-6) onSupport = dF[i];
            }
            for (int i = 0; i < tasks; i++) {
                if (w[i] > 1e-6) assertEquals(onSupport, dF[i], 1e-6, msg + ": ∂F/∂w" + i + ", w " + java.util.Arrays.toString(w));
                else assertTrue(dF[i] >= onSupport - 1e-6, msg + ": ∂F/∂w" + i + " = " + dF[i] + " < " + onSupport);
            }
        }
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int k = 0; k < x.length; k++) s += x[k] * y[k];
        return s;
    }
}
