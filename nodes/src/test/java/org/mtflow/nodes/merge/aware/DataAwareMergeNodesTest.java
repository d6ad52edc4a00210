package org.mtflow.nodes.merge.aware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Activation;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.MlpSpec;
import org.mtflow.nodes.train.Trainer;

/** The three data-aware merges through the engine, on two small synthetic tasks fine-tuned from one base. */
class DataAwareMergeNodesTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    private static final List<String> MERGES = List.of("merge.fisher", "merge.regmean", "merge.adamerging");

    @Test
    void everyMergedModelBeatsChanceOnEveryTaskAndIsReproducible() throws Exception {
        long seed = TestSeeds.next();
        var wf = Workflows.named("data-aware-merges", seed)
                .task("a", "data.synthetic").with("tasks", 1).with("features", 8).with("examples", 600).with("seed", seed)
                .task("b", "data.synthetic").with("tasks", 1).with("features", 8).with("examples", 600).with("seed", seed + 1)
                .task("base", "train.fit").input("dataset", "a.dataset").with("hidden", List.of(16)).with("epochs", 2)
                .task("fa", "train.finetune").input("base", "base.model").input("dataset", "a.dataset").with("epochs", 8)
                .task("fb", "train.finetune").input("base", "base.model").input("dataset", "b.dataset").with("epochs", 8)
                .task("fisher", "merge.fisher").input("base", "base.model").inputs("models", "fa.model", "fb.model")
                .inputs("datasets", "a.dataset", "b.dataset").with("examples", 128)
                .task("regmean", "merge.regmean").input("base", "base.model").inputs("models", "fa.model", "fb.model")
                .inputs("datasets", "a.dataset", "b.dataset")
                .task("adamerging", "merge.adamerging").input("base", "base.model").inputs("models", "fa.model", "fb.model")
                .inputs("datasets", "a.dataset", "b.dataset").with("steps", 100)
                .build();
        NodeRuns.Run run = runs.run(wf);
        assertTrue(run.outcome().ok(), () -> "seed " + seed + ": " + run.report());
        List<Dataset> data = List.of(Dataset.read(run.artifact("a", "dataset")), Dataset.read(run.artifact("b", "dataset")));
        try (JavaOps ops = new JavaOps(1)) {
            for (String merge : MERGES) {
                String id = merge.substring("merge.".length());
                Mlp merged = Mlp.read(run.artifact(id, "model"));
                // both datasets are named "synthetic": the heads are numbered
                assertEquals(List.of("task0", "task1"), List.copyOf(merged.spec().heads().keySet()), merge);
                for (int t = 0; t < 2; t++) {
                    double acc = Trainer.accuracy(ops, merged, "task" + t, data.get(t).test());
                    double own = Trainer.accuracy(ops, Mlp.read(run.artifact(t == 0 ? "fa" : "fb", "model")), "synthetic", data.get(t).test());
                    assertTrue(acc > 0.6, merge + " on task " + t + ": accuracy " + acc + " (chance 0.5, its fine-tuned model "
                            + own + "), seed " + seed + ", metrics " + run.metrics(id));
                }
            }
        }
        assertTrue(run.metrics("adamerging").path("entropy-final").asDouble() < run.metrics("adamerging").path("entropy-initial").asDouble(),
                () -> run.metrics("adamerging").toString());

        NodeRuns.Run again = runs.run(wf, false);
        for (String merge : MERGES) {
            String id = merge.substring("merge.".length());
            assertEquals(run.hash(id, "model"), again.hash(id, "model"), merge + ": same seed, same bits, seed " + seed);
        }
    }

    @Test
    void mismatchedInputsAreRejectedNamingTheModelOrTask() throws Exception {
        try (JavaOps ops = new JavaOps(1)) {
            Mlp base = Mlp.init(new MlpSpec(2, List.of(3), Activation.RELU, Map.of("x", 2)), ops, 1, 0);
            Mlp wider = Mlp.init(new MlpSpec(2, List.of(4), Activation.RELU, Map.of("x", 2)), ops, 1, 0);
            Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
            Dataset ok = new Dataset("x", List.of("a", "b"), new Dataset.Split(x, Tensor.of(new float[] {0, 1}, 2)),
                    new Dataset.Split(x, Tensor.of(new float[] {1, 0}, 2)));
            Dataset three = new Dataset("x", List.of("a", "b", "c"), new Dataset.Split(x, Tensor.of(new float[] {0, 2}, 2)),
                    new Dataset.Split(x, Tensor.of(new float[] {1, 0}, 2)));
            assertMessage(() -> MergeTasks.of(base, List.of(base, base), List.of(ok)), "2 models but 1 datasets");
            assertMessage(() -> MergeTasks.of(base, List.of(base, wider), List.of(ok, ok)), "model 1 has trunk [2, 4]");
            assertMessage(() -> MergeTasks.of(base, List.of(base, base), List.of(ok, three)), "task 1 (x) has label 2.0 in its train split");
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        Exception ex = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, e);
        assertTrue(ex.getMessage().contains(part), ex.getMessage());
    }

    @Test
    void oneDatasetWithATaskPerModelPairsTaskTWithModelT() throws Exception {
        Mlp base;
        try (JavaOps ops = new JavaOps(1)) {
            base = Mlp.init(new MlpSpec(2, List.of(3), Activation.RELU, Map.of("x", 2)), ops, 1, 0);
        }
        Mlp m0 = base.keepingHead("x");
        Mlp m1 = base.keepingHead("x");
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2);
        Dataset.Split split = new Dataset.Split(x, Tensor.of(new float[] {0, 2, 3, 1}, 4));
        Dataset d = new Dataset("d", List.of("a", "b", "c", "e"), split, null, split,
                List.of(new Dataset.Task("left", 0, 2), new Dataset.Task("right", 2, 2)));
        MergeTasks in = MergeTasks.of(base, List.of(m0, m1), List.of(d));
        assertEquals(List.of("task0", "task1"), in.tasks().stream().map(MergeTasks.Task::mergedHead).toList(), "both heads are x: numbered");
        Dataset.Split right = in.tasks().get(1).train();
        assertEquals(List.of(3f, 4f, 5f, 6f), List.of(right.x().data()[0], right.x().data()[1], right.x().data()[2], right.x().data()[3]));
        assertEquals(List.of(0f, 1f), List.of(right.y().data()[0], right.y().data()[1]), "labels within the task");
    }
}
