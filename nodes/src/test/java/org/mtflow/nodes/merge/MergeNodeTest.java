package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.HalfFloats;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;
import org.mtflow.nodes.data.IdxFiles;
import org.mtflow.nodes.model.Mlp;

/** merge.* through the engine on trained Mlp models, and mismatched checkpoints rejected. */
class MergeNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path dir;

    @Test
    void mergedMlpsArePredictableAndEqualTheFormula() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        Path data = dir.resolve("data");
        IdxFiles.writeFashionDir(data, IdxFiles.randomImages(rnd, 120, 4, 4), IdxFiles.randomLabels(rnd, 120, 10),
                IdxFiles.randomImages(rnd, 60, 4, 4), IdxFiles.randomLabels(rnd, 60, 10), true);
        var w = Workflows.named("merge", seed)
                .task("f", "data.fashion-mnist").with("dir", data.toString());
        for (String t : List.of("t0", "t1", "t2")) {
            w = w.task(t, "train.fit").input("dataset", "f.dataset").with("hidden", List.of(8, 6)).with("epochs", 1).with("batch", 16);
        }
        w = w.task("ta", "merge.task-arithmetic").input("base", "t0.model").inputs("models", "t1.model", "t2.model")
                .with("parameters", Map.of("lambda", 0.7))
                .with("model-parameters", List.of(Map.of("weight", 0.25), Map.of("weight", List.of(Map.of("filter", "head", "value", 2.0), Map.of("value", 1.0)))))
                .task("dt1", "merge.dare-ties").input("base", "t0.model").inputs("models", "t1.model", "t2.model")
                .with("parameters", Map.of("density", 0.5))
                .task("dt2", "merge.dare-ties").input("base", "t0.model").inputs("models", "t1.model", "t2.model")
                .with("parameters", Map.of("density", 0.5))
                .task("dt3", "merge.dare-ties").input("base", "t0.model").inputs("models", "t1.model", "t2.model")
                .with("parameters", Map.of("density", 0.5)).with("seed", seed + 1)
                .task("p", "model.predict").input("model", "ta.model").input("dataset", "f.dataset")
                .task("m", "eval.metrics").input("predictions", "p.predictions").input("dataset", "f.dataset");
        NodeRuns.Run run = runs.run(w.build());
        assertTrue(run.outcome().ok(), () -> "seed " + seed + ": " + run.report());

        Map<String, Tensor> base = Mlp.read(run.artifact("t0", "model")).parameters();
        Map<String, Tensor> m1 = Mlp.read(run.artifact("t1", "model")).parameters();
        Map<String, Tensor> m2 = Mlp.read(run.artifact("t2", "model")).parameters();
        Mlp merged = Mlp.read(run.artifact("ta", "model"));
        assertEquals(base.keySet(), merged.parameters().keySet());
        for (String name : base.keySet()) {
            float[] b = base.get(name).data(), x = m1.get(name).data(), y = m2.get(name).data(), got = merged.parameters().get(name).data();
            double w2 = name.contains("head") ? 2.0 : 1.0;
            for (int i = 0; i < b.length; i++) {
                double want = b[i] + 0.7 * (0.25 * ((double) x[i] - b[i]) + w2 * ((double) y[i] - b[i]));
                assertEquals(want, got[i], 1e-6 * (1 + Math.abs(want)), "seed " + seed + ": " + name + "[" + i + "]");
            }
        }
        assertTrue(run.metrics("m").path("accuracy").isNumber(), () -> run.metrics("m").toString());
        assertEquals(run.hash("dt1", "model"), run.hash("dt2", "model"), "seed " + seed + ": same seed, same DARE bits");
        assertNotEquals(run.hash("dt1", "model"), run.hash("dt3", "model"), "seed " + seed + ": another seed, other drops");
    }

    @Test
    void anUnknownParameterOrAWrongModelCountFailsTheTaskNamingIt() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        Path data = dir.resolve("data");
        IdxFiles.writeFashionDir(data, IdxFiles.randomImages(rnd, 40, 4, 4), IdxFiles.randomLabels(rnd, 40, 10),
                IdxFiles.randomImages(rnd, 20, 4, 4), IdxFiles.randomLabels(rnd, 20, 10), true);
        var spec = Workflows.named("bad-merge", seed)
                .task("f", "data.fashion-mnist").with("dir", data.toString())
                .task("t0", "train.fit").input("dataset", "f.dataset").with("hidden", List.of(4)).with("epochs", 1)
                .task("t1", "train.fit").input("dataset", "f.dataset").with("hidden", List.of(4)).with("epochs", 1)
                .task("x", "merge.ties").input("base", "t0.model").inputs("models", "t1.model").with("parameters", Map.of("t", 0.5))
                .task("y", "merge.slerp").input("base", "t0.model").inputs("models", "t1.model", "t0.model").with("parameters", Map.of("t", 0.5));
        NodeRuns.Run run = runs.run(spec.build());
        assertTrue(!run.outcome().ok(), () -> run.report().toString());
        assertEquals(1, run.attempts("x"), "a bad parameter is not retried");
        assertTrue(run.task("x").toString().contains("merge.ties has no parameter 't'"), () -> run.task("x").toString());
        assertTrue(run.task("y").toString().contains("exactly one model"), () -> run.task("y").toString());
    }

    @Test
    void aMergeIntoADirectoryStreamsShardsEqualToTheSingleFileMerge() throws Exception {
        long seed = TestSeeds.next();
        Map<String, Object> tiny = Map.of("layers", 2, "hidden", 16, "intermediate", 24, "vocab", 40, "heads", 4, "kv-heads", 2,
                "dtype", "BF16", "max-shard-bytes", 4000);
        var w = Workflows.named("merge-dir", seed)
                .task("base", "data.synthetic-checkpoint").with("dir", dir.resolve("base").toString()).with("seed", seed).withAll(tiny);
        String[] inputs = new String[3];
        for (int i = 0; i < 3; i++) {
            w = w.task("m" + i, "data.synthetic-checkpoint").with("dir", dir.resolve("m" + i).toString()).with("base", seed)
                    .with("seed", seed + 1 + i).with("noise", 0.01).withAll(tiny);
            inputs[i] = "m" + i + ".model";
        }
        Map<String, Object> ties = Map.of("density", 0.3, "lambda", 0.9);
        var spec = w.task("file", "merge.ties").input("base", "base.model").inputs("models", inputs).with("parameters", ties)
                .task("tree", "merge.ties").input("base", "base.model").inputs("models", inputs).with("parameters", ties)
                .with("output", dir.resolve("merged").toString()).with("max-shard-bytes", 4000)
                .task("wide", "merge.ties").input("base", "base.model").inputs("models", inputs).with("parameters", ties)
                .with("output", dir.resolve("merged32").toString()).with("dtype", "F32");
        NodeRuns.Run run = runs.run(spec.build());
        assertTrue(run.outcome().ok(), () -> "seed " + seed + ": " + run.report());

        Path merged = dir.resolve("merged");
        assertTrue(Files.isRegularFile(merged.resolve("model.safetensors.index.json")), "sharded: " + merged);
        assertEquals(Files.readString(dir.resolve("base/config.json")), Files.readString(merged.resolve("config.json")));
        try (Safetensors.Reader one = Safetensors.open(run.artifact("file", "model"));
             HfModel tree = HfModel.open(merged); HfModel wide = HfModel.open(dir.resolve("merged32"))) {
            assertEquals(one.entries().keySet(), tree.entries().keySet());
            for (var e : one.entries().values()) {
                assertEquals(Dtype.BF16, tree.entry(e.name()).dtype(), e.name());
                assertEquals(Dtype.F32, wide.entry(e.name()).dtype(), e.name());
                float[] want = one.read(e.name()).data(), got = tree.read(e.name()).data(), got32 = wide.read(e.name()).data();
                for (int i = 0; i < want.length; i++) {
                    String at = "seed " + seed + ": " + e.name() + "[" + i + "]";
                    assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), at);
                    // F32 keeps the merge unrounded: rounded to BF16 it is the BF16 output
                    assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(got32[i]))), at);
                }
            }
        }

        var into = Workflows.named("merge-into-input", seed)
                .task("base", "data.synthetic-checkpoint").with("dir", dir.resolve("base").toString()).with("seed", seed).withAll(tiny)
                .task("m", "merge.task-arithmetic").input("base", "base.model").inputs("models", "base.model")
                .with("output", dir.resolve("base").toString());
        NodeRuns.Run bad = runs.run(into.build());
        assertEquals(1, bad.attempts("m"), "not retried");
        assertTrue(bad.task("m").toString().contains("is one of the input models' directories"), () -> bad.task("m").toString());
        assertTrue(Files.isRegularFile(dir.resolve("base/config.json")), "the input directory is left alone");
    }

    private Path write(String file, Map<String, Tensor> tensors, Dtype dtype) throws Exception {
        Path p = dir.resolve(file);
        Safetensors.Writer wr = Safetensors.writer();
        tensors.forEach((n, t) -> wr.put(n, t, dtype));
        wr.writeFile(p);
        return p;
    }

    @Test
    void mismatchedCheckpointsAreRejectedWithTheTensorsName() throws Exception {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), b = Tensor.of(new float[] {1, 2}, 2);
        Path base = write("base.safetensors", Map.of("layers.0.w", a, "layers.0.b", b), Dtype.F32);
        Path missing = write("missing.safetensors", Map.of("layers.0.w", a), Dtype.F32);
        Path extra = write("extra.safetensors", Map.of("layers.0.w", a, "layers.0.b", b, "layers.1.w", a), Dtype.F32);
        Path shape = write("shape.safetensors", Map.of("layers.0.w", a, "layers.0.b", Tensor.of(new float[] {1, 2}, 1, 2)), Dtype.F32);
        Path half = dir.resolve("half.safetensors");
        Safetensors.writer().put("layers.0.w", a, Dtype.F32).put("layers.0.b", b, Dtype.F16).writeFile(half);
        Path good = write("good.safetensors", Map.of("layers.0.w", a, "layers.0.b", b), Dtype.F32);
        record Bad(Path model, String... words) {}
        for (Bad bad : List.of(new Bad(missing, "'layers.0.b'", "missing from", "missing.safetensors"),
                new Bad(extra, "'layers.1.w'", "extra.safetensors", "missing from"),
                new Bad(shape, "'layers.0.b'", "[1, 2]", "shape.safetensors"),
                new Bad(half, "'layers.0.b'", "F16", "half.safetensors"))) {
            var e = assertThrows(IllegalArgumentException.class, () -> Merger.merge(new org.mtflow.kernels.jvm.JavaOps(1), new TiesMerge(),
                    base, List.of(good, bad.model()), Map.of(), List.of(), 1, (n, t, like) -> {}));
            for (String word : bad.words()) assertTrue(e.getMessage().contains(word), e.getMessage() + " lacks " + word);
        }
        List<String> names = new ArrayList<>();
        Merger.merge(new org.mtflow.kernels.jvm.JavaOps(1), new TiesMerge(), base, List.of(good, good), Map.of(), List.of(), 1,
                (n, t, like) -> names.add(n));
        assertEquals(2, names.size());
    }
}
