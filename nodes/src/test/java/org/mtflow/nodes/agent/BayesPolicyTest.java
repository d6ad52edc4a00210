package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class BayesPolicyTest {

    /** Matérn 5/2 from its formula, written again here. */
    static double matern(double[] a, double[] b, double[] l, double s2) {
        double r2 = 0;
        for (int j = 0; j < a.length; j++) r2 += Math.pow((a[j] - b[j]) / l[j], 2);
        double r = Math.sqrt(r2);
        return s2 * (1 + Math.sqrt(5) * r + 5 * r * r / 3) * Math.exp(-Math.sqrt(5) * r);
    }

    /** The inverse of a 3×3 matrix by cofactors, and its determinant in out[3][0]. */
    static double[][] inverse3(double[][] m) {
        double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        double[][] inv = new double[4][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
                inv[i][j] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
            }
        }
        inv[3][0] = det;
        return inv;
    }

    @Test
    void posteriorMeanVarianceAndLikelihoodMatchTheExplicitInverse() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int trial = 0; trial < 20; trial++) {
            int d = 1 + rnd.nextInt(3);
            double[][] x = new double[3][d];
            double[] y = new double[3], l = new double[d];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < d; j++) x[i][j] = rnd.nextDouble();
                y[i] = rnd.nextGaussian();
            }
            for (int j = 0; j < d; j++) l[j] = 0.2 + rnd.nextDouble();
            double s2 = 0.5 + rnd.nextDouble(), noise = 0.01 + 0.2 * rnd.nextDouble();
            GaussianProcess gp = new GaussianProcess(x, y, new GaussianProcess.Hyper(l, s2, noise));
            double[][] k = new double[3][3];
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) k[i][j] = matern(x[i], x[j], l, s2) + (i == j ? noise : 0);
            double[][] inv = inverse3(k);
            double yKy = 0;
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) yKy += y[i] * inv[i][j] * y[j];
            String msg = "seed=" + seed + " trial " + trial;
            assertEquals(-0.5 * yKy - 0.5 * Math.log(inv[3][0]) - 1.5 * Math.log(2 * Math.PI), gp.logMarginal(), 1e-9, msg);
            for (int t = 0; t < 10; t++) {
                double[] p = new double[d];
                for (int j = 0; j < d; j++) p[j] = rnd.nextDouble();
                double[] ks = new double[3];
                for (int i = 0; i < 3; i++) ks[i] = matern(p, x[i], l, s2);
                double mean = 0, quad = 0;
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        mean += ks[i] * inv[i][j] * y[j];
                        quad += ks[i] * inv[i][j] * ks[j];
                    }
                }
                double[] mv = gp.predict(p);
                assertEquals(mean, mv[0], 1e-10, msg + " mean at " + java.util.Arrays.toString(p));
                assertEquals(s2 - quad, mv[1], 1e-10, msg + " variance at " + java.util.Arrays.toString(p));
                assertEquals(mv[0], gp.mean(p), 0, msg);
            }
        }
    }

    @Test
    void expectedImprovementIsTheIntegralOfTheGainOverTheNormal() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int t = 0; t < 50; t++) {
            double mean = 4 * rnd.nextGaussian(), sd = 0.01 + 3 * rnd.nextDouble(), best = mean + 3 * sd * rnd.nextGaussian();
            // E[max(0, f − best)], f ~ N(mean, sd²), by Simpson's rule over mean ± 12 sd
            int steps = 20_000;
            double a = mean - 12 * sd, h = 24 * sd / steps, sum = 0;
            for (int i = 0; i <= steps; i++) {
                double f = a + i * h;
                double g = Math.max(0, f - best) * Math.exp(-0.5 * Math.pow((f - mean) / sd, 2)) / (sd * Math.sqrt(2 * Math.PI));
                sum += g * (i == 0 || i == steps ? 1 : i % 2 == 1 ? 4 : 2);
            }
            double expected = sum * h / 3;
            double actual = GaussianProcess.expectedImprovement(mean, sd, best);
            assertEquals(expected, actual, 1e-6 * (Math.abs(mean - best) + sd),
                    "seed=" + seed + " mean=" + mean + " sd=" + sd + " best=" + best);
        }
        assertEquals(0.5, GaussianProcess.expectedImprovement(1.5, 0, 1.0), 0, "no uncertainty: the plain gain");
        assertEquals(0, GaussianProcess.expectedImprovement(0.5, 0, 1.0), 0, "no uncertainty, no gain");
    }

    @Test
    void findsTheMaximumOfAOneDimensionalQuadraticInAFewEvaluations() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        double lo = -3 + rnd.nextDouble(), hi = lo + 1 + 4 * rnd.nextDouble();
        double opt = lo + (0.1 + 0.8 * rnd.nextDouble()) * (hi - lo);
        SearchSpace space = new SearchSpace(List.of(new SearchSpace.Range("x", lo, hi, false)));
        BayesPolicy policy = new BayesPolicy(space, 5, seed);
        List<Observation> h = Searches.run(policy, c -> {
            double x = (double) c.params().get("x");
            return new double[] {-(x - opt) * (x - opt)};
        }, 10, 1);
        double bestX = (double) h.stream().max(java.util.Comparator.comparingDouble(o -> o.scores()[0])).orElseThrow().candidate().params().get("x");
        // 5 design points and 5 model-guided ones: within 0.5% of the interval of the optimum
        assertTrue(Math.abs(bestX - opt) < 0.005 * (hi - lo), "seed=" + seed + " optimum " + opt + " in [" + lo + ", " + hi + "], best found " + bestX);
    }

    @Test
    void theInitialDesignIsALatinHypercube() {
        long seed = TestSeeds.next();
        int d = 3, n = 7;
        SearchSpace space = new SearchSpace(List.of(new SearchSpace.Range("a", 0, 1, false), new SearchSpace.Range("b", 0, 1, false), new SearchSpace.Range("c", 0, 1, false)));
        List<Candidate> design = new BayesPolicy(space, n, seed).propose(List.of(), n);
        for (int j = 0; j < d; j++) {
            boolean[] stratum = new boolean[n];
            for (Candidate c : design) stratum[(int) (c.point()[j] * n)] = true;
            for (int s = 0; s < n; s++) assertTrue(stratum[s], "seed=" + seed + " dimension " + j + " has no point in stratum " + s);
        }
    }

    @Test
    void failedCandidatesStayOutOfTheModelButAreNotProposedAgain() {
        long seed = TestSeeds.next();
        SearchSpace space = new SearchSpace(List.of(new SearchSpace.IntRange("a", 0, 3), new SearchSpace.IntRange("b", 0, 3)));
        BayesPolicy policy = new BayesPolicy(space, 4, seed);
        // the best region (a = 3) always fails: a policy that kept it in the model, or re-proposed it, would loop there
        List<Observation> h = Searches.run(policy, c -> (long) c.params().get("a") == 3 ? null
                : new double[] {(long) c.params().get("a") + 0.1 * (long) c.params().get("b")}, 16, 1);
        assertEquals(16, h.size(), "seed=" + seed + ": every cell once");
        assertEquals(16, h.stream().map(o -> o.candidate().params()).distinct().count(), "seed=" + seed);
        assertTrue(policy.propose(h, 1).isEmpty(), "seed=" + seed + ": nothing is left");
    }

    @Test
    void aBatchSpreadsOutInsteadOfRepeatingTheBestPoint() {
        long seed = TestSeeds.next();
        SearchSpace space = new SearchSpace(List.of(new SearchSpace.Range("a", 0, 1, false), new SearchSpace.Range("b", 0, 1, false)));
        BayesPolicy policy = new BayesPolicy(space, 6, seed);
        List<Observation> h = Searches.run(policy, c -> new double[] {-Math.pow(c.point()[0] - 0.4, 2) - Math.pow(c.point()[1] - 0.7, 2)}, 6, 6);
        List<Candidate> batch = policy.propose(h, 4);
        assertEquals(4, batch.size());
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < i; j++) {
                double dist = Math.hypot(batch.get(i).point()[0] - batch.get(j).point()[0], batch.get(i).point()[1] - batch.get(j).point()[1]);
                assertTrue(dist > 1e-3, "seed=" + seed + " batch members " + j + " and " + i + " are " + dist + " apart");
            }
        }
    }

    @Test
    void paregoIsTheAugmentedChebyshevOfNormalisedScores() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<double[]> scores = new ArrayList<>();
        for (int i = 0; i < 8; i++) scores.add(new double[] {rnd.nextDouble() * 10, -rnd.nextDouble()});
        double[] w = new BayesPolicy(new SearchSpace(List.of(new SearchSpace.Range("a", 0, 1, false))), 5, seed).weights(3 + rnd.nextInt(100), 2);
        assertEquals(1, w[0] + w[1], 1e-12, "seed=" + seed + " weights on the simplex");
        assertTrue(w[0] > 0 && w[1] > 0, "seed=" + seed);
        double[] y = BayesPolicy.parego(scores, w);
        double lo0 = scores.stream().mapToDouble(s -> s[0]).min().orElseThrow(), hi0 = scores.stream().mapToDouble(s -> s[0]).max().orElseThrow();
        double lo1 = scores.stream().mapToDouble(s -> s[1]).min().orElseThrow(), hi1 = scores.stream().mapToDouble(s -> s[1]).max().orElseThrow();
        for (int i = 0; i < 8; i++) {
            double c0 = w[0] * (hi0 - scores.get(i)[0]) / (hi0 - lo0), c1 = w[1] * (hi1 - scores.get(i)[1]) / (hi1 - lo1);
            assertEquals(-(Math.max(c0, c1) + 0.05 * (c0 + c1)), y[i], 1e-12, "seed=" + seed + " observation " + i);
        }
    }

    @Test
    void twoObjectivesSpreadAlongTheFront() {
        long seed = TestSeeds.next();
        SearchSpace space = new SearchSpace(List.of(new SearchSpace.Range("a", 0, 1, false), new SearchSpace.Range("b", 0, 1, false)));
        // conflicting objectives: near (0.2, 0.5) vs near (0.8, 0.5); the front is the segment between
        List<Observation> h = Searches.run(new BayesPolicy(space, 5, seed), c -> {
            double[] p = c.point();
            return new double[] {-Math.pow(p[0] - 0.2, 2) - Math.pow(p[1] - 0.5, 2), -Math.pow(p[0] - 0.8, 2) - Math.pow(p[1] - 0.5, 2)};
        }, 25, 1);
        List<Observation> front = ParetoFront.of(h);
        double left = front.stream().mapToDouble(o -> o.candidate().point()[0]).min().orElseThrow();
        double right = front.stream().mapToDouble(o -> o.candidate().point()[0]).max().orElseThrow();
        assertTrue(front.size() >= 5 && right - left > 0.3, "seed=" + seed + ": front of " + front.size() + " spans a in [" + left + ", " + right + "]");
    }
}
