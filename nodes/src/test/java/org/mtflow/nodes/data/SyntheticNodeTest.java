package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** data.synthetic: labels against a float64 reference of the rule, task ranges, relatedness, determinism. */
class SyntheticNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    private NodeRuns.Run generate(long seed, Object... with) throws Exception {
        Workflows.Task t = Workflows.named("synthetic", seed).task("s", "data.synthetic");
        for (int i = 0; i < with.length; i += 2) t.with((String) with[i], with[i + 1]);
        NodeRuns.Run run = runs.run(t.build(), false);
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        return run;
    }

    /** The class of x under task t's weights, by the textbook rule: argmax_c Σ_j x_j·W[t, j, c], first on ties. */
    static int reference(float[] x, int row, int f, Tensor w, int t, int k) {
        int best = -1;
        double bestScore = 0;
        for (int c = 0; c < k; c++) {
            double s = 0;
            for (int j = 0; j < f; j++) s += (double) x[row * f + j] * w.data()[(t * f + j) * k + c];
            if (best < 0 || s > bestScore) { best = c; bestScore = s; }
        }
        return best;
    }

    /** The task of a label: its range in the dataset's task list. */
    static int taskOf(Dataset ds, float label) {
        for (int t = 0; t < ds.tasks().size(); t++) if (ds.tasks().get(t).holds(label)) return t;
        throw new AssertionError("label " + label + " is in no task");
    }

    @Test
    void withoutNoiseEveryLabelIsItsTasksRuleAndEachTaskHasItsExamples() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int tasks = 1 + rnd.nextInt(4), f = 1 + rnd.nextInt(12), k = 2 + rnd.nextInt(4), n = 20 + rnd.nextInt(200);
        double r = rnd.nextDouble();
        String msg = "seed=" + seed + " tasks=" + tasks + " features=" + f + " classes=" + k + " examples=" + n + " r=" + r;
        NodeRuns.Run run = generate(seed, "tasks", tasks, "features", f, "classes", k, "examples", n, "relatedness", r, "noise", 0);
        Dataset ds = Dataset.read(run.artifact("s", "dataset"));
        Tensor w = run.tensor("s", "weights");
        assertArrayEquals(new int[] {tasks, f, k}, w.shape(), msg);
        assertEquals(tasks * k, ds.classes().size(), msg);
        List<Dataset.Task> expected = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            expected.add(new Dataset.Task("task" + t, t * k, k));
            for (int c = 0; c < k; c++) assertEquals("task" + t + "/" + c, ds.classes().get(t * k + c), msg);
        }
        assertEquals(expected, ds.tasks(), msg);
        int[] perTask = new int[tasks];
        int[][] perClass = new int[2][tasks * k];
        int s = 0;
        for (Dataset.Split split : List.of(ds.train(), ds.test())) {
            for (int i = 0; i < split.size(); i++) {
                float y = split.y().data()[i];
                int t = taskOf(ds, y);
                perTask[t]++;
                perClass[s][(int) y]++;
                assertEquals(t * k + reference(split.x().data(), i, f, w, t, k), y, 0f, msg + " example " + i);
            }
            s++;
        }
        for (int t = 0; t < tasks; t++) assertEquals(n, perTask[t], msg + " task " + t);
        for (int c = 0; c < tasks * k; c++) {
            assertEquals(Math.round((perClass[0][c] + perClass[1][c]) * 0.2), perClass[1][c], msg + " test count of class " + c);
        }
    }

    @Test
    void relatednessOneGivesEveryTaskTheSameRuleAndZeroUnrelatedOnes() throws Exception {
        long seed = TestSeeds.next();
        int f = 100, k = 5;
        NodeRuns.Run same = generate(seed, "tasks", 3, "features", f, "classes", k, "examples", 300, "relatedness", 1.0, "noise", 0);
        Tensor w = same.tensor("s", "weights");
        float[] w0 = Arrays.copyOfRange(w.data(), 0, f * k);
        for (int t = 1; t < 3; t++) assertArrayEquals(w0, Arrays.copyOfRange(w.data(), t * f * k, (t + 1) * f * k), "seed=" + seed + " task " + t);
        // The same rule: every example's class within its task is the rule of task 0 too.
        Dataset ds = Dataset.read(same.artifact("s", "dataset"));
        for (int i = 0; i < ds.train().size(); i++) {
            float y = ds.train().y().data()[i];
            int t = taskOf(ds, y);
            assertEquals(y - t * k, reference(ds.train().x().data(), i, f, w, 0, k), 0f, "seed=" + seed + " example " + i);
        }
        // Weights' correlation across tasks is r: 500 entries, so its standard error is about 0.045.
        for (double r : new double[] {0.0, 0.5}) {
            Tensor wr = generate(seed, "tasks", 2, "features", f, "classes", k, "examples", 10, "relatedness", r).tensor("s", "weights");
            double corr = correlation(Arrays.copyOfRange(wr.data(), 0, f * k), Arrays.copyOfRange(wr.data(), f * k, 2 * f * k));
            assertEquals(r, corr, 0.22, "seed=" + seed + " relatedness " + r);
        }
    }

    static double correlation(float[] a, float[] b) {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.length; i++) { ma += a[i]; mb += b[i]; }
        ma /= a.length;
        mb /= b.length;
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void noiseFlipsLabelsAwayFromTheRule() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = generate(seed, "tasks", 1, "features", 4, "classes", 2, "examples", 2000, "noise", 100);
        Dataset ds = Dataset.read(run.artifact("s", "dataset"));
        Tensor w = run.tensor("s", "weights");
        int agree = 0;
        for (int i = 0; i < ds.train().size(); i++) {
            if (reference(ds.train().x().data(), i, 4, w, 0, 2) == ds.train().y().data()[i]) agree++;
        }
        // Scores of size ~2 under noise of 100: close to a coin flip (1600 examples, 0.5 ± 0.0125).
        double rate = agree / (double) ds.train().size();
        assertTrue(rate > 0.4 && rate < 0.6, "seed=" + seed + ": agreement " + rate);
    }

    @Test
    void theSameSeedGivesTheSameArtifactsAndAnotherSeedOthers() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run a = generate(seed, "examples", 50), b = generate(seed, "examples", 50), c = generate(seed + 1, "examples", 50);
        NodeRuns.Run d = generate(seed, "examples", 50, "seed", seed + 1);
        assertEquals(a.hash("s", "dataset"), b.hash("s", "dataset"), "seed=" + seed);
        assertEquals(a.hash("s", "weights"), b.hash("s", "weights"), "seed=" + seed);
        assertNotEquals(a.hash("s", "dataset"), c.hash("s", "dataset"), "seed=" + seed);
        assertNotEquals(a.hash("s", "weights"), d.hash("s", "weights"), "seed=" + seed);
    }

    @Test
    void paramsOutsideTheirRangesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SyntheticNode.Params(null, null, null, null, 1.5, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticNode.Params(null, null, 1, null, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticNode.Params(0, null, null, null, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticNode.Params(null, null, null, null, null, -1.0, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticNode.Params(null, null, null, null, null, null, 1.0, null));
    }
}
