package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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

/** data.split: which rows go where (each once, in order), per-class counts, determinism. */
class SplitNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path dir;

    @Test
    void valComesOutOfTrainByClassAndTestIsKept() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int classes = 2 + rnd.nextInt(4);
        double vf = rnd.nextDouble(0.05, 0.5);
        Path csv = RandomCsv.write(dir, rnd, 40 + rnd.nextInt(300), 2 + rnd.nextInt(5), classes);  // f1 tells rows apart (f0 is constant)
        String msg = "seed=" + seed + " val-fraction=" + vf;
        NodeRuns.Run run = runs.run(Workflows.named("split", seed).task("c", "data.csv").with("path", csv.toString())
                .task("s", "data.split").input("dataset", "c.dataset").with("val-fraction", vf)
                .task("again", "data.split").input("dataset", "s.dataset").with("val-fraction", vf).with("seed", seed + 1).build(), false);
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        Dataset in = Dataset.read(run.artifact("c", "dataset")), out = Dataset.read(run.artifact("s", "dataset"));
        assertNull(in.val(), msg);
        assertEquals(List.of("train", "val", "test"), List.copyOf(out.splits().keySet()), msg);
        assertArrayEquals(in.test().x().data(), out.test().x().data(), msg + ": test kept");
        assertArrayEquals(in.test().y().data(), out.test().y().data(), msg + ": test kept");
        SplitChecks.assertDrawnFrom(in.train(), false, msg, out.train(), out.val());
        int[] all = SplitChecks.classCounts(in.train(), classes), val = SplitChecks.classCounts(out.val(), classes);
        for (int c = 0; c < classes; c++) assertEquals(Math.round(all[c] * vf), val[c], msg + " class " + c);
        assertEquals(out.val().size(), run.metrics("s").path("val-examples").asInt(), msg);

        // Splitting again: the old val rejoins train (train's rows, then val's) before the new draw.
        Dataset again = Dataset.read(run.artifact("again", "dataset"));
        SplitChecks.assertDrawnFrom(SplitNode.concat(List.of(out.train(), out.val())), false, msg + " again", again.train(), again.val());

        NodeRuns.Run rerun = runs.run(Workflows.named("split", seed).task("c", "data.csv").with("path", csv.toString())
                .task("s", "data.split").input("dataset", "c.dataset").with("val-fraction", vf).build(), false);
        assertEquals(run.hash("s", "dataset"), rerun.hash("s", "dataset"), msg + ": same seed, same artifact");
    }

    @Test
    void fromAllPoolsEverySplitAndDrawsTrainValAndTest() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int classes = 2 + rnd.nextInt(4);
        double vf = rnd.nextDouble(0.05, 0.4), tf = rnd.nextDouble(0.05, 0.4);
        Path csv = RandomCsv.write(dir, rnd, 40 + rnd.nextInt(300), 2 + rnd.nextInt(5), classes);  // f1 tells rows apart (f0 is constant)
        String msg = "seed=" + seed + " val-fraction=" + vf + " test-fraction=" + tf;
        NodeRuns.Run run = runs.run(Workflows.named("split-all", seed).task("c", "data.csv").with("path", csv.toString())
                .task("s", "data.split").input("dataset", "c.dataset").with("from", "all").with("val-fraction", vf).with("test-fraction", tf).build());
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        Dataset in = Dataset.read(run.artifact("c", "dataset")), out = Dataset.read(run.artifact("s", "dataset"));
        Dataset.Split pool = SplitNode.concat(List.of(in.train(), in.test()));
        SplitChecks.assertDrawnFrom(pool, false, msg, out.train(), out.val(), out.test());
        int[] all = SplitChecks.classCounts(pool, classes), val = SplitChecks.classCounts(out.val(), classes),
                test = SplitChecks.classCounts(out.test(), classes);
        for (int c = 0; c < classes; c++) {
            assertEquals(Math.round(all[c] * tf), test[c], msg + " test class " + c);
            assertEquals(Math.min(Math.round(all[c] * vf), all[c] - test[c]), val[c], msg + " val class " + c);
        }
    }

    @Test
    void fractionsOutsideTheirRangesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SplitNode.Params(0.1, 0.2, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SplitNode.Params(0.6, 0.5, SplitNode.From.ALL, null));
        assertThrows(IllegalArgumentException.class, () -> new SplitNode.Params(-0.1, null, null, null));
    }
}
