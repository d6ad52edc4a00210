package org.mtflow.kernels.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;

class HfModelTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());
    @TempDir Path dir;

    private Map<String, Tensor> tensors(SplittableRandom rng) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) t.put("model.layers." + i + ".mlp.up_proj.weight", SafetensorsTest.spicy(rng, 1 + rng.nextInt(9), 1 + rng.nextInt(9)));
        return t;
    }

    private void check(Map<String, Tensor> want, Dtype dtype, Path model) throws IOException {
        try (HfModel m = HfModel.open(model)) {
            assertEquals("llama", m.config().get("model_type").asText());
            assertEquals(want.keySet(), m.entries().keySet());
            for (var e : want.entrySet()) {
                Tensor got = m.read(e.getKey());
                assertArrayEquals(e.getValue().shape(), got.shape());
                for (int i = 0; i < got.size(); i++) {
                    SafetensorsTest.assertBits(SafetensorsTest.expected(e.getValue().data()[i], dtype), got.data()[i], e.getKey() + "[" + i + "]");
                }
                int n = got.size() / 2;
                Tensor part = m.readRange(e.getKey(), got.size() - n, n);
                for (int i = 0; i < n; i++) SafetensorsTest.assertBits(got.data()[got.size() - n + i], part.data()[i], e.getKey() + " range");
            }
            var missing = assertThrows(FormatException.class, () -> m.read("lm_head.weight"));
            assertTrue(missing.getMessage().contains(model + ": the model has no tensor 'lm_head.weight'"), missing.getMessage());
        }
    }

    @Test
    void opensASingleFileAndAShardedModelAsOneTensorSource() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED);
        Map<String, Tensor> t = tensors(rng);
        Path single = dir.resolve("single"), sharded = dir.resolve("sharded");
        Files.createDirectories(single);
        Files.writeString(single.resolve("config.json"), "{\"model_type\": \"llama\"}");
        Safetensors.Writer w = Safetensors.writer();
        t.forEach((k, v) -> w.put(k, v, Dtype.BF16));
        w.writeFile(single.resolve("model.safetensors"));
        check(t, Dtype.BF16, single);

        ShardedSafetensors.Writer sw = ShardedSafetensors.writer().maxShardBytes(100);
        t.forEach((k, v) -> sw.put(k, v, Dtype.F16));
        sw.write(sharded);
        Files.writeString(sharded.resolve("config.json"), "{\"model_type\": \"llama\"}");
        check(t, Dtype.F16, sharded);
        try (HfModel m = HfModel.open(sharded)) {
            assertTrue(m.weightFiles().size() > 1, "sharded: " + m.weightFiles() + " (seed " + SEED + ")");
        }
    }

    private String error(Path d) {
        return assertThrows(FormatException.class, () -> HfModel.open(d).close()).getMessage();
    }

    @Test
    void aDirectoryThatIsNotAModelIsRefusedNamingItAndWhatIsMissing() throws IOException {
        Path none = dir.resolve("none");
        assertTrue(error(none).startsWith(none + ": no such model directory"), error(none));
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertTrue(error(file).startsWith(file + ": is a file, not a model directory"), error(file));

        Path d = Files.createDirectories(dir.resolve("m"));
        Safetensors.writer().put("w", Tensor.zeros(2)).writeFile(d.resolve("model.safetensors"));
        assertTrue(error(d).startsWith(d + ": no config.json in the model directory"), error(d));

        Files.writeString(d.resolve("config.json"), "[1, 2]");
        assertTrue(error(d).startsWith(d.resolve("config.json") + ": is not a JSON object"), error(d));
        Files.writeString(d.resolve("config.json"), "{\"a\": ");
        assertTrue(error(d).startsWith(d.resolve("config.json") + ": is not valid JSON"), error(d));

        Files.writeString(d.resolve("config.json"), "{}");
        Files.delete(d.resolve("model.safetensors"));
        assertTrue(error(d).startsWith(d + ": no model.safetensors nor model.safetensors.index.json in the model directory (nor any other"), error(d));
        Files.writeString(d.resolve("pytorch_model.bin"), "pickle");
        assertTrue(error(d).contains("(it holds [pytorch_model.bin]; PyTorch pickle checkpoints are not read"), error(d));

        Files.writeString(d.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"w\": \"model-00001-of-00002.safetensors\"}}");
        assertTrue(error(d).contains("shard 'model-00001-of-00002.safetensors' (of tensor 'w') does not exist"), error(d));
        Files.write(d.resolve("model.safetensors"), new byte[3]); // the single file wins, and is checked
        assertTrue(error(d).startsWith(d.resolve("model.safetensors") + ": file of 3 bytes is too short"), error(d));
    }

    private Path model(String name, Map<String, Tensor> tensors, Map<String, Dtype> dtypes) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        Files.writeString(d.resolve("config.json"), "{}");
        Safetensors.Writer w = Safetensors.writer();
        tensors.forEach((k, v) -> w.put(k, v, dtypes.getOrDefault(k, Dtype.F32)));
        w.writeFile(d.resolve("model.safetensors"));
        return d;
    }

    @Test
    void modelsToMergeMustHoldTheSameTensorsShapesAndDtypes() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 1);
        Map<String, Tensor> t = tensors(rng);
        String victim = "model.layers.3.mlp.up_proj.weight";
        Path a = model("a", t, Map.of()), b = model("b", t, Map.of(victim, Dtype.F32));
        Map<String, Tensor> reshaped = new LinkedHashMap<>(t);
        int[] s = t.get(victim).shape();
        reshaped.put(victim, Tensor.zeros(s[0] + 1, s[1]));
        Map<String, Tensor> missing = new LinkedHashMap<>(t);
        missing.remove(victim);
        Map<String, Tensor> extra = new LinkedHashMap<>(t);
        extra.put("lm_head.weight", Tensor.zeros(2));
        Path shape = model("shape", reshaped, Map.of()), dtype = model("dtype", t, Map.of(victim, Dtype.BF16));
        Path miss = model("missing", missing, Map.of()), more = model("extra", extra, Map.of());
        try (HfModel ma = HfModel.open(a); HfModel mb = HfModel.open(b); HfModel mShape = HfModel.open(shape);
                HfModel mDtype = HfModel.open(dtype); HfModel mMiss = HfModel.open(miss); HfModel mMore = HfModel.open(more)) {
            HfModel.requireSameTensors(java.util.List.of(ma, mb, ma));
            String e1 = assertThrows(FormatException.class, () -> HfModel.requireSameTensors(java.util.List.of(ma, mShape))).getMessage();
            assertTrue(e1.startsWith(shape + ": tensor '" + victim + "' has shape [" + (s[0] + 1) + ", " + s[1] + "], not [" + s[0] + ", " + s[1] + "]"), e1);
            String e2 = assertThrows(FormatException.class, () -> HfModel.requireSameTensors(java.util.List.of(ma, ma, mDtype))).getMessage();
            assertTrue(e2.startsWith(dtype + ": tensor '" + victim + "' is BF16, not F32"), e2);
            String e3 = assertThrows(FormatException.class, () -> HfModel.requireSameTensors(java.util.List.of(ma, mMiss))).getMessage();
            assertTrue(e3.startsWith(miss + ": has no tensor '" + victim + "', which " + a + " has"), e3);
            String e4 = assertThrows(FormatException.class, () -> HfModel.requireSameTensors(java.util.List.of(ma, mMore))).getMessage();
            assertTrue(e4.startsWith(more + ": has tensor 'lm_head.weight', which " + a + " has not"), e4);
        }
    }
}
