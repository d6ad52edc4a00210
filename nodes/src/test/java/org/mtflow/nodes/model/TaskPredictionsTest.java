package org.mtflow.nodes.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.eval.Metrics;
import org.mtflow.nodes.eval.Predictions;

/**
 * The per-task path through the nodes: data.task picks one task of a multi-task dataset,
 * train.multitask takes a dataset with tasks as its tasks, and model.predict + eval.metrics score a
 * multi-head model task by task.
 */
class TaskPredictionsTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    private record Setup(long seed, int tasks, int classes) {
        Workflows.Task synthetic(String name) {
            return Workflows.named(name, seed).task("s", "data.synthetic").with("tasks", tasks).with("classes", classes)
                    .with("features", 6).with("examples", 300).with("relatedness", 0.5).with("noise", 0.05);
        }
    }

    private static Setup setup() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        return new Setup(seed, 2 + rnd.nextInt(3), 2 + rnd.nextInt(3));
    }

    @Test
    void dataTaskKeepsTheTasksRowsInOrderWithLabelsRelativeToTheTask() throws Exception {
        Setup s = setup();
        int pick = new SplittableRandom(s.seed() + 1).nextInt(s.tasks());
        NodeRuns.Run run = runs.run(s.synthetic("task")
                .task("byIndex", "data.task").input("dataset", "s.dataset").with("index", pick)
                .task("byName", "data.task").input("dataset", "s.dataset").with("name", "task" + pick).build());
        String msg = "seed " + s.seed() + ", task " + pick + " of " + s.tasks();
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        assertEquals(run.hash("byIndex", "dataset"), run.hash("byName", "dataset"), msg);
        Dataset all = Dataset.read(run.artifact("s", "dataset")), one = Dataset.read(run.artifact("byIndex", "dataset"));
        assertEquals("task" + pick, one.name(), msg);
        assertEquals(List.of(), one.tasks(), msg);
        List<String> classes = new ArrayList<>();
        for (int c = 0; c < s.classes(); c++) classes.add(Integer.toString(c));
        assertEquals(classes, one.classes(), "the task/ prefix goes: " + msg);
        int first = pick * s.classes();
        for (String split : List.of("train", "test")) {
            Dataset.Split a = all.splits().get(split), b = one.splits().get(split);
            int f = a.x().dim(1), j = 0;
            for (int i = 0; i < a.size(); i++) {
                float y = a.y().data()[i];
                if (y < first || y >= first + s.classes()) continue;
                assertEquals(y - first, b.y().data()[j], 0f, msg + " " + split + " row " + i);
                for (int k = 0; k < f; k++) assertEquals(a.x().data()[i * f + k], b.x().data()[j * f + k], 0f, msg + " " + split + " row " + i);
                j++;
            }
            assertEquals(j, b.size(), msg + " " + split);
            assertEquals(j, run.metrics("byIndex").path(split + "-examples").asInt(), msg);
        }

        NodeRuns.Run missing = runs.run(s.synthetic("missing-task")
                .task("t", "data.task").input("dataset", "s.dataset").with("name", "shirts").build());
        assertEquals("failed", missing.status("t"), missing.report().toString());
        String error = missing.task("t").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains("no task 'shirts'") && error.contains("task0"), error);
    }

    @Test
    void aMultitaskModelIsScoredTaskByTaskWithEachTasksHead() throws Exception {
        Setup s = setup();
        NodeRuns.Run run = runs.run(s.synthetic("multitask-eval")
                .task("joint", "train.multitask").inputs("datasets", "s.dataset")
                .with("hidden", List.of(12)).with("epochs", 3).with("batch", 16)
                .task("p", "model.predict").input("model", "joint.model").input("dataset", "s.dataset")
                .task("m", "eval.metrics").input("predictions", "p.predictions").input("dataset", "s.dataset").build());
        String msg = "seed " + s.seed() + ", " + s.tasks() + " tasks of " + s.classes();
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());

        // The same task ("joint", so the same init stream) on the list of the tasks' own datasets.
        Workflows.Task w = s.synthetic("multitask-listed");
        String[] perTask = new String[s.tasks()];
        for (int t = 0; t < s.tasks(); t++) {
            w = w.task("t" + t, "data.task").input("dataset", "s.dataset").with("index", t);
            perTask[t] = "t" + t + ".dataset";
        }
        NodeRuns.Run listed = runs.run(w.task("joint", "train.multitask").inputs("datasets", perTask)
                .with("hidden", List.of(12)).with("epochs", 3).with("batch", 16).build());
        assertTrue(listed.outcome().ok(), () -> msg + ": " + listed.report());
        assertEquals(listed.hash("joint", "model"), run.hash("joint", "model"),
                "a dataset with tasks trains as the list of its tasks' datasets: " + msg);

        Mlp model = Mlp.read(run.artifact("joint", "model"));
        Dataset data = Dataset.read(run.artifact("s", "dataset"));
        Map<String, Integer> heads = new java.util.LinkedHashMap<>();
        for (Dataset.Task t : data.tasks()) heads.put(t.name(), s.classes());
        assertEquals(heads, model.spec().heads(), msg);

        Predictions p = Predictions.read(run.artifact("p", "predictions"));
        Tensor x = data.test().x();
        int k = data.classes().size();
        assertEquals(List.of(x.dim(0), k), List.of(p.logits().dim(0), p.logits().dim(1)), msg);
        assertEquals(data.tasks().stream().map(Dataset.Task::name).toList(), p.taskNames(), msg);
        float[] z = p.logits().data();
        for (int r = 0; r < x.dim(0); r++) {
            int task = (int) data.test().y().data()[r] / s.classes();
            assertEquals(task, p.tasks()[r], msg + " row " + r);
            double[] want = PredictNodeTest.reference(model, x, r, "task" + task);
            for (int c = 0; c < k; c++) {
                float g = z[r * k + c];
                int inTask = c - task * s.classes();
                if (inTask < 0 || inTask >= s.classes()) {
                    assertEquals(PredictNode.OTHER_TASK, g, 0f, msg + ": row " + r + " column " + c + " is another task's");
                } else {
                    assertTrue(Math.abs(g - want[inTask]) <= 1e-4 * (1 + Math.abs(want[inTask])),
                            msg + ": logit [" + r + ", " + c + "] is " + g + ", float64 reference " + want[inTask]);
                }
            }
        }

        Metrics m = Metrics.read(run.artifact("m", "metrics"));
        JsonNode trained = run.metrics("joint");
        for (int t = 0; t < s.tasks(); t++) {
            double accuracy = m.tasks().get("task" + t).accuracy();
            assertEquals(trained.path("test-accuracy.task" + t).asDouble(), accuracy, "eval.metrics scores what train.multitask reported: " + msg);
            assertEquals(accuracy, run.metrics("m").path("task-accuracy").path("task" + t).asDouble(), msg);
            assertTrue(m.tasks().get("task" + t).loss() > 0, msg);
        }
    }

    /** The per-task step of a merging study: fine-tune a multi-task base on each task, score each fine-tune on its task. */
    @Test
    void fineTunesOfAMultitaskBaseOnEachTaskAreScoredOnThatTask() throws Exception {
        Setup s = setup();
        Workflows.Task w = s.synthetic("finetune-per-task")
                .task("base", "train.multitask").inputs("datasets", "s.dataset").with("hidden", List.of(12)).with("epochs", 2).with("batch", 16);
        for (int t = 0; t < s.tasks(); t++) {
            w = w.task("t" + t, "data.task").input("dataset", "s.dataset").with("index", t)
                    .task("ft" + t, "train.finetune").input("base", "base.model").input("dataset", "t" + t + ".dataset")
                    .with("epochs", 2).with("batch", 16)
                    .task("p" + t, "model.predict").input("model", "ft" + t + ".model").input("dataset", "t" + t + ".dataset")
                    .task("m" + t, "eval.metrics").input("predictions", "p" + t + ".predictions").input("dataset", "t" + t + ".dataset");
        }
        NodeRuns.Run run = runs.run(w.build());
        String msg = "seed " + s.seed() + ", " + s.tasks() + " tasks of " + s.classes();
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        Mlp base = Mlp.read(run.artifact("base", "model"));
        for (int t = 0; t < s.tasks(); t++) {
            Mlp ft = Mlp.read(run.artifact("ft" + t, "model"));
            assertEquals(Map.of("task" + t, s.classes()), ft.spec().heads(), msg);
            assertEquals(base.spec().hidden(), ft.spec().hidden(), msg);
            JsonNode m = run.metrics("m" + t);
            assertEquals(Dataset.read(run.artifact("t" + t, "dataset")).test().size(), m.path("examples").asInt(), msg);
            assertEquals(run.metrics("ft" + t).path("test-accuracy").asDouble(), m.path("task-accuracy").path("task" + t).asDouble(-1),
                    "eval.metrics scores the fine-tune of task " + t + " as train.finetune reported: " + msg);
        }
    }

    /** keep-heads: the fine-tune has every head of the base, the other tasks' bit for bit, so fine-tunes share every tensor name. */
    @Test
    void aFineTuneThatKeepsHeadsChangesOnlyTheTrunkAndItsTasksHead() throws Exception {
        Setup s = setup();
        Workflows.Task w = s.synthetic("finetune-keep-heads")
                .task("base", "train.multitask").inputs("datasets", "s.dataset").with("hidden", List.of(12)).with("epochs", 1).with("batch", 16)
                .task("t0", "data.task").input("dataset", "s.dataset").with("index", 0)
                .task("ft", "train.finetune").input("base", "base.model").input("dataset", "t0.dataset")
                .with("epochs", 2).with("batch", 16).with("keep-heads", true);
        NodeRuns.Run run = runs.run(w.build());
        String msg = "seed " + s.seed() + ", " + s.tasks() + " tasks";
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        Mlp base = Mlp.read(run.artifact("base", "model")), ft = Mlp.read(run.artifact("ft", "model"));
        assertEquals(base.spec(), ft.spec(), msg);
        assertEquals(base.parameters().keySet(), ft.parameters().keySet(), msg);
        for (String name : base.parameters().keySet()) {
            boolean trained = !name.startsWith("head.") || name.startsWith("head.task0.");
            boolean same = java.util.Arrays.equals(base.parameters().get(name).data(), ft.parameters().get(name).data());
            assertEquals(!trained, same, msg + ": " + name + (trained ? " should have been trained" : " should be the base's"));
        }
    }
}
