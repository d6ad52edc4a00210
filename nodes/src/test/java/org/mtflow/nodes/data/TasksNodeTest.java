package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** data.tasks: random groupings checked row by row, and the real Fashion-MNIST's counts after grouping. */
class TasksNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path dir;

    @Test
    void groupsBecomeTaskRangesWithLabelsRenumberedInGroupOrder() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int classes = 3 + rnd.nextInt(6);
        Path csv = RandomCsv.write(dir, rnd, 50 + rnd.nextInt(300), 1 + rnd.nextInt(4), classes);
        // A random subset of the classes, shuffled, cut into groups.
        List<Integer> order = new ArrayList<>();
        for (int c = 0; c < classes; c++) order.add(c);
        Collections.shuffle(order, new Random(rnd.nextLong()));
        List<Integer> used = order.subList(0, 1 + rnd.nextInt(classes));
        List<List<Integer>> groups = new ArrayList<>();
        for (int at = 0; at < used.size(); ) {
            int size = 1 + rnd.nextInt(used.size() - at);
            groups.add(List.copyOf(used.subList(at, at + size)));
            at += size;
        }
        String msg = "seed=" + seed + " groups=" + groups;
        NodeRuns.Run run = runs.run(Workflows.named("tasks", seed).task("c", "data.csv").with("path", csv.toString())
                .task("t", "data.tasks").input("dataset", "c.dataset").with("groups", groups).build());
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        Dataset in = Dataset.read(run.artifact("c", "dataset")), out = Dataset.read(run.artifact("t", "dataset"));
        int[] newLabel = new int[classes];
        java.util.Arrays.fill(newLabel, -1);
        List<String> names = new ArrayList<>();
        int offset = 0;
        for (int g = 0; g < groups.size(); g++) {
            assertEquals(new Dataset.Task("task" + g, offset, groups.get(g).size()), out.tasks().get(g), msg);
            for (int i = 0; i < groups.get(g).size(); i++) {
                int c = groups.get(g).get(i);
                newLabel[c] = offset + i;
                names.add("task" + g + "/" + in.classes().get(c));
            }
            offset += groups.get(g).size();
        }
        assertEquals(groups.size(), out.tasks().size(), msg);
        assertEquals(names, out.classes(), msg);
        long dropped = 0;
        for (String split : List.of("train", "test")) {
            Dataset.Split a = in.splits().get(split), b = out.splits().get(split);
            int f = a.x().dim(1), j = 0;
            for (int i = 0; i < a.size(); i++) {
                int l = newLabel[(int) a.y().data()[i]];
                if (l < 0) { dropped++; continue; }
                assertEquals(l, b.y().data()[j], 0f, msg + " " + split + " row " + i);
                for (int k = 0; k < f; k++) assertEquals(a.x().data()[i * f + k], b.x().data()[j * f + k], 0f, msg + " " + split + " row " + i);
                j++;
            }
            assertEquals(j, b.size(), msg + " " + split);
        }
        assertEquals(dropped, run.metrics("t").path("dropped-examples").asLong(), msg);
    }

    @Test
    void aClassOutsideTheDatasetIsAPermanentErrorAndGroupsMayNotShareClasses() throws Exception {
        long seed = TestSeeds.next();
        Path csv = RandomCsv.write(dir, new SplittableRandom(seed), 30, 2, 3);
        NodeRuns.Run run = runs.run(Workflows.named("tasks-bad", seed).task("c", "data.csv").with("path", csv.toString())
                .task("t", "data.tasks").input("dataset", "c.dataset").with("groups", List.of(List.of(0, 1), List.of(2, 3))).build());
        String error = run.task("t").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains("group 1 holds class 3") && error.contains("has 3 classes"), error);
        assertThrows(IllegalArgumentException.class, () -> new TasksNode.Params(List.of(List.of(0, 1), List.of(1, 2)), null));
        assertThrows(IllegalArgumentException.class, () -> new TasksNode.Params(List.of(List.of(0, 0)), null));
        assertThrows(IllegalArgumentException.class, () -> new TasksNode.Params(List.of(List.of()), null));
        assertThrows(IllegalArgumentException.class, () -> new TasksNode.Params(List.of(List.of(0)), List.of("a", "b")));
    }

    /** Fashion-MNIST as 5 tasks of 2 classes: 60000/10000 examples, 6000/1000 per class, as before grouping. */
    @Test
    void fashionMnistInFiveTasksOfTwoKeepsItsCounts(@TempDir Path home) throws Exception {
        Path fashion = Path.of(FashionMnistNode.DEFAULT_DIR);
        Assumptions.assumeTrue(Files.isRegularFile(fashion.resolve("train-labels-idx1-ubyte.gz")),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        List<List<Integer>> groups = List.of(List.of(0, 1), List.of(2, 3), List.of(4, 5), List.of(6, 7), List.of(9, 8));
        try (NodeRuns own = new NodeRuns(home)) {
            NodeRuns.Run run = own.run(Workflows.named("fashion-tasks", 7).task("f", "data.fashion-mnist")
                    .task("t", "data.tasks").input("dataset", "f.dataset").with("groups", groups)
                    .with("names", List.of("tops", "pullover-dress", "coat-sandal", "shirt-sneaker", "boot-bag")).build());
            assertTrue(run.outcome().ok(), () -> run.report().toString());
            Dataset in = Dataset.read(run.artifact("f", "dataset")), out = Dataset.read(run.artifact("t", "dataset"));
            assertEquals(5, out.tasks().size());
            assertEquals(new Dataset.Task("boot-bag", 8, 2), out.tasks().get(4));
            assertEquals(List.of("boot-bag/Ankle boot", "boot-bag/Bag"), out.classes().subList(8, 10));
            for (String split : List.of("train", "test")) {
                Dataset.Split a = in.splits().get(split), b = out.splits().get(split);
                assertEquals(split.equals("train") ? 60000 : 10000, b.size(), split);
                int[] counts = SplitChecks.classCounts(b, 10);
                for (int c = 0; c < 10; c++) assertEquals(split.equals("train") ? 6000 : 1000, counts[c], split + " class " + c);
                int[] perTask = new int[5];
                for (int i = 0; i < b.size(); i++) {
                    int want = a.y().data()[i] == 9 ? 8 : a.y().data()[i] == 8 ? 9 : (int) a.y().data()[i];
                    if (b.y().data()[i] != want) throw new AssertionError(split + " example " + i + ": label " + b.y().data()[i] + ", expected " + want);
                    perTask[(int) b.y().data()[i] / 2]++;
                }
                for (int t = 0; t < 5; t++) assertEquals(split.equals("train") ? 12000 : 2000, perTask[t], split + " task " + t);
                assertTrue(java.util.Arrays.equals(a.x().data(), b.x().data()), split + ": pixels unchanged");
            }
        }
    }
}
