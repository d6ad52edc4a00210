package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** data.standardize against a float64 reference (Welford's running figures), every element of every split. */
class StandardizeNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path dir;

    record Run(NodeRuns.Run run, Dataset in, Dataset out, Tensor scaler, String msg) {}

    private Run standardize(String mode) throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int rows = 10 + rnd.nextInt(300), features = 1 + rnd.nextInt(8);
        Path csv = RandomCsv.write(dir, rnd, rows, features, 3);
        Workflows.Task t = Workflows.named("standardize", seed).task("c", "data.csv").with("path", csv.toString())
                .task("s", "data.standardize").input("dataset", "c.dataset");
        if (mode != null) t.with("mode", mode);
        NodeRuns.Run run = runs.run(t.build());
        String msg = "seed=" + seed + " rows=" + rows + " features=" + features + " mode=" + mode;
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        return new Run(run, Dataset.read(run.artifact("c", "dataset")), Dataset.read(run.artifact("s", "dataset")),
                run.tensor("s", "scaler"), msg);
    }

    /** Checks every element of every split: (x − shift[j]) / scale[j], within 2 float ulps of the float64 value. */
    static void assertRescaled(Run r, double[] shift, double[] scale) {
        int f = shift.length;
        for (String name : r.in().splits().keySet()) {
            Dataset.Split a = r.in().splits().get(name), b = r.out().splits().get(name);
            assertArrayEquals(a.y().data(), b.y().data(), r.msg() + " " + name + " labels");
            assertArrayEquals(a.x().shape(), b.x().shape(), r.msg() + " " + name);
            for (int i = 0; i < a.x().size(); i++) {
                double want = (a.x().data()[i] - shift[i % f]) / scale[i % f];
                float got = b.x().data()[i];
                assertEquals(want, got, 2 * Math.ulp((float) want) + 1e-12, r.msg() + " " + name + " element " + i);
            }
        }
        for (int j = 0; j < f; j++) {
            assertEquals(shift[j], r.scaler().data()[j], Math.ulp((float) shift[j]), r.msg() + " scaler shift " + j);
            assertEquals(scale[j], r.scaler().data()[f + j], Math.ulp((float) scale[j]), r.msg() + " scaler scale " + j);
        }
    }

    @Test
    void standardizesEveryFeatureByTheTrainSplitsMeanAndStd() throws Exception {
        Run r = standardize(null);
        Tensor x = r.in().train().x();
        int n = x.dim(0), f = x.dim(1);
        double[] mean = new double[f], scale = new double[f];
        for (int j = 0; j < f; j++) {
            double m = 0, m2 = 0;
            for (int i = 0; i < n; i++) {  // Welford: another order of operations than a sum then a pass
                double v = x.data()[i * f + j], d = v - m;
                m += d / (i + 1);
                m2 += d * (v - m);
            }
            mean[j] = m;
            double std = Math.sqrt(m2 / n);
            scale[j] = std < 1e-12 * Math.max(1, Math.abs(m)) ? 1 : std;
        }
        assertRescaled(r, mean, scale);
        assertEquals(1, r.run().metrics("s").path("constant-features").asInt(), r.msg() + ": f0 is constant");
        // On train the result has mean 0 and std 1 (f0: mean 0, std 0).
        Tensor y = r.out().train().x();
        for (int j = 0; j < f; j++) {
            double s = 0, sq = 0;
            for (int i = 0; i < n; i++) { s += y.data()[i * f + j]; sq += y.data()[i * f + j] * (double) y.data()[i * f + j]; }
            assertEquals(0, s / n, 1e-4, r.msg() + " mean of " + j);
            if (j > 0) assertEquals(1, Math.sqrt(sq / n - (s / n) * (s / n)), 1e-3, r.msg() + " std of " + j);
        }
    }

    @Test
    void normalizeMapsTrainsRangeOntoTheUnitInterval() throws Exception {
        Run r = standardize("normalize");
        Tensor x = r.in().train().x();
        int n = x.dim(0), f = x.dim(1);
        double[] min = new double[f], range = new double[f];
        for (int j = 0; j < f; j++) {
            double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
            for (int i = n - 1; i >= 0; i--) { lo = Math.min(lo, x.data()[i * f + j]); hi = Math.max(hi, x.data()[i * f + j]); }
            min[j] = lo;
            range[j] = hi == lo ? 1 : hi - lo;
        }
        assertRescaled(r, min, range);
        Tensor y = r.out().train().x();
        for (int j = 1; j < f; j++) {
            float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
            for (int i = 0; i < n; i++) { lo = Math.min(lo, y.data()[i * f + j]); hi = Math.max(hi, y.data()[i * f + j]); }
            assertEquals(0f, lo, 0f, r.msg() + " train min of " + j);
            assertEquals(1f, hi, 0f, r.msg() + " train max of " + j);
        }
    }
}
