package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** data.subsample: kept rows are the split's rows in order, per-class counts by n or fraction, untouched splits. */
class SubsampleNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path dir;

    private NodeRuns.Run subsample(long seed, Path csv, Object... with) throws Exception {
        Workflows.Task t = Workflows.named("subsample", seed).task("c", "data.csv").with("path", csv.toString())
                .task("s", "data.subsample").input("dataset", "c.dataset");
        for (int i = 0; i < with.length; i += 2) t.with((String) with[i], with[i + 1]);
        NodeRuns.Run run = runs.run(t.build(), false);
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        return run;
    }

    @Test
    void aFractionKeepsThatShareOfEachClassOfTrainAndLeavesTestAlone() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int classes = 2 + rnd.nextInt(4);
        // Away from 0 and 1, so that the classes (40 rows or more in all) keep and leave out enough
        // rows that another seed draws others: at 0.987 a draw kept every row whatever the seed, and
        // near 0.05 two classes of 16 rows keep one each (1 in 256 seeds draw the same).
        double fraction = rnd.nextDouble(0.2, 0.8);
        Path csv = RandomCsv.write(dir, rnd, 40 + rnd.nextInt(300), 2 + rnd.nextInt(5), classes);  // f1 tells rows apart (f0 is constant)
        NodeRuns.Run run = subsample(seed, csv, "fraction", fraction);
        String msg = "seed=" + seed + " fraction=" + fraction;
        Dataset in = Dataset.read(run.artifact("c", "dataset")), out = Dataset.read(run.artifact("s", "dataset"));
        SplitChecks.assertDrawnFrom(in.train(), true, msg, out.train());
        int[] all = SplitChecks.classCounts(in.train(), classes), kept = SplitChecks.classCounts(out.train(), classes);
        for (int c = 0; c < classes; c++) assertEquals(Math.round(all[c] * fraction), kept[c], msg + " class " + c);
        assertArrayEquals(in.test().x().data(), out.test().x().data(), msg);
        assertArrayEquals(in.test().y().data(), out.test().y().data(), msg);
        assertEquals(run.hash("s", "dataset"), subsample(seed, csv, "fraction", fraction).hash("s", "dataset"), msg + ": same seed");
        assertNotEquals(run.hash("s", "dataset"), subsample(seed, csv, "fraction", fraction, "seed", seed + 1).hash("s", "dataset"),
                msg + ": another seed draws other rows");
    }

    @Test
    void nKeepsAboutNOfEachListedSplitInTheClassProportions() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int classes = 2 + rnd.nextInt(4);
        Path csv = RandomCsv.write(dir, rnd, 100 + rnd.nextInt(300), 2 + rnd.nextInt(5), classes);  // f1 tells rows apart (f0 is constant)
        int n = 5 + rnd.nextInt(60);
        NodeRuns.Run run = subsample(seed, csv, "n", n, "splits", List.of("train", "test"));
        String msg = "seed=" + seed + " n=" + n;
        Dataset in = Dataset.read(run.artifact("c", "dataset")), out = Dataset.read(run.artifact("s", "dataset"));
        for (String split : List.of("train", "test")) {
            Dataset.Split a = in.splits().get(split), b = out.splits().get(split);
            SplitChecks.assertDrawnFrom(a, true, msg + " " + split, b);
            int[] all = SplitChecks.classCounts(a, classes), kept = SplitChecks.classCounts(b, classes);
            for (int c = 0; c < classes; c++) {
                assertEquals(Math.min(all[c], Math.round((double) n * all[c] / a.size())), kept[c], msg + " " + split + " class " + c);
            }
        }
        // A split that is not there is named with the way to add it.
        NodeRuns.Run noVal = runs.run(Workflows.named("subsample-val", seed).task("c", "data.csv").with("path", csv.toString())
                .task("s", "data.subsample").input("dataset", "c.dataset").with("n", 3).with("splits", List.of("val")).build());
        String error = noVal.task("s").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains("no val split") && error.contains("data.split"), error);
    }

    @Test
    void exactlyOneOfNAndFractionIsGiven() {
        assertThrows(IllegalArgumentException.class, () -> new SubsampleNode.Params(null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SubsampleNode.Params(3, 0.5, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SubsampleNode.Params(null, 1.5, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SubsampleNode.Params(3, null, List.of("dev"), null));
    }
}
