package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.Safetensors;

/**
 * {@code mtflow run mergekit.yml --output DIR} on small checkpoints written here: DIR holds config.json
 * and the merged tensors, each element equal to a float64 reference of mergekit's formula written in this
 * test; and validate, run and export report a bad or incomplete config as they should.
 */
class MergekitCommandTest {
    @TempDir Path tmp;

    /** A base and its fine-tunes: Llama-like names (layers, norms, head), random shapes and values. */
    private record Checkpoints(Path base, List<Path> models, Map<String, int[]> shapes) {
        List<Map<String, float[]>> readModels() throws IOException {
            List<Map<String, float[]>> out = new ArrayList<>();
            for (Path p : models) out.add(read(p));
            return out;
        }
    }

    private Checkpoints checkpoints(SplittableRandom rnd, int n) throws IOException {
        int hidden = 2 + rnd.nextInt(12), inter = 1 + rnd.nextInt(20), vocab = 1 + rnd.nextInt(30), layers = 1 + rnd.nextInt(3);
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new int[] {vocab, hidden});
        for (int l = 0; l < layers; l++) {
            shapes.put("model.layers." + l + ".self_attn.q_proj.weight", new int[] {hidden, hidden});
            shapes.put("model.layers." + l + ".mlp.up_proj.weight", new int[] {inter, hidden});
            shapes.put("model.layers." + l + ".input_layernorm.weight", new int[] {hidden});
        }
        shapes.put("lm_head.weight", new int[] {vocab, hidden});
        Map<String, float[]> base = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> base.put(name, gaussian(rnd, size(shape), 0.02)));
        Path baseDir = write(tmp.resolve("base"), shapes, base, layers);
        List<Path> models = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, float[]> ft = new LinkedHashMap<>();
            for (var e : base.entrySet()) {
                float[] d = gaussian(rnd, e.getValue().length, 0.002);
                for (int j = 0; j < d.length; j++) d[j] += e.getValue()[j];
                ft.put(e.getKey(), d);
            }
            models.add(write(tmp.resolve("ft-" + i), shapes, ft, layers));
        }
        return new Checkpoints(baseDir, models, shapes);
    }

    private static int size(int[] shape) {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    private static float[] gaussian(SplittableRandom rnd, int n, double std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller: SplittableRandom has no nextGaussian on Java 17
            double u = 1 - rnd.nextDouble(), v = rnd.nextDouble();
            x[i] = (float) (std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
        }
        return x;
    }

    private static Path write(Path dir, Map<String, int[]> shapes, Map<String, float[]> values, int layers) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"num_hidden_layers\": " + layers + "}\n");
        Safetensors.Writer w = Safetensors.writer();
        shapes.forEach((name, shape) -> w.put(name, Tensor.of(values.get(name), shape)));
        w.writeFile(dir.resolve("model.safetensors"));
        return dir;
    }

    private static Map<String, float[]> read(Path dir) throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (HfModel m = HfModel.open(dir)) {
            for (String name : m.entries().keySet()) out.put(name, m.read(name).data());
        }
        return out;
    }

    /** Runs the config through the jar and checks every element of DIR against the reference. */
    private void runAndCompare(long seed, String config, Checkpoints c, Map<String, double[]> expected) throws Exception {
        Path file = tmp.resolve("merge-" + seed + ".yml");
        Files.writeString(file, config);
        Path out = tmp.resolve("out-" + Math.abs(config.hashCode()));
        Cli.Result r = Cli.run("run", file.toString(), "--output", out.toString(), "--home", tmp.resolve("home").toString());
        String msg = "seed=" + seed + "\n" + config + "\n" + r;
        assertEquals(0, r.exit(), msg);
        assertArrayEquals(Files.readAllBytes(c.base().resolve("config.json")), Files.readAllBytes(out.resolve("config.json")), msg);
        Map<String, float[]> merged = read(out);
        assertEquals(c.shapes().keySet(), merged.keySet(), msg);
        try (HfModel m = HfModel.open(out)) {
            for (var e : c.shapes().entrySet()) assertArrayEquals(e.getValue(), m.entry(e.getKey()).shape(), msg);
        }
        // Relative to the base weight too: a merge adds float32 terms of the base's size, so where they
        // cancel (seed 12093863287740: 5.6e-5, 1.2e-9 off), float rounding of the base remains.
        Map<String, float[]> base = read(c.base());
        for (var e : expected.entrySet()) {
            float[] got = merged.get(e.getKey()), b = base.get(e.getKey());
            double[] want = e.getValue();
            for (int j = 0; j < want.length; j++) {
                double tolerance = 1e-6 * (Math.abs(want[j]) + Math.abs(b[j])) + 1e-9;
                assertEquals(want[j], got[j], tolerance, e.getKey() + "[" + j + "] " + msg);
            }
        }
    }

    /** A seed (reported on failure), its generator, and 2 or 3 fine-tunes of a base drawn from it. */
    private record Case(long seed, SplittableRandom rnd, Checkpoints c, double lambda) {}

    private Case randomCase() throws IOException {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        Checkpoints c = checkpoints(rnd, 2 + rnd.nextInt(2));
        return new Case(seed, rnd, c, 0.5 + rnd.nextDouble());
    }

    @Test
    void taskArithmeticMatchesMergekitsFormula() throws Exception {
        Case rc = randomCase();
        SplittableRandom rnd = rc.rnd();
        Checkpoints c = rc.c();
        int n = c.models().size();
        double[] w = new double[n];
        StringBuilder cfg = new StringBuilder("merge_method: task_arithmetic\nbase_model: " + c.base() + "\nmodels:\n  - model: " + c.base() + "\n");
        for (int i = 0; i < n; i++) {
            w[i] = rnd.nextDouble();
            cfg.append("  - model: ").append(c.models().get(i)).append("\n    parameters:\n      weight: ").append(w[i]).append('\n');
        }
        cfg.append("parameters:\n  lambda: ").append(rc.lambda()).append("\n  int8_mask: true\n");
        Map<String, float[]> base = read(c.base());
        List<Map<String, float[]>> fts = c.readModels();
        Map<String, double[]> expected = new LinkedHashMap<>();
        for (String name : c.shapes().keySet()) {
            float[] b = base.get(name);
            double[] out = new double[b.length];
            for (int j = 0; j < b.length; j++) {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += w[i] * ((double) fts.get(i).get(name)[j] - b[j]);
                out[j] = b[j] + rc.lambda() * sum;
            }
            expected.put(name, out);
        }
        runAndCompare(rc.seed(), cfg.toString(), c, expected);
    }

    /**
     * TIES as mergekit computes it: per tensor keep each task vector's ⌊density·n⌋ largest magnitudes,
     * weight them, elect the sign of their sum (0 → +), add the agreeing entries and divide by the agreeing
     * weights (normalize, the default; a zero divisor counts as 1), then base + λ·that.
     */
    @Test
    void tiesMatchesMergekitsFormula() throws Exception {
        Case rc = randomCase();
        SplittableRandom rnd = rc.rnd();
        Checkpoints c = rc.c();
        int n = c.models().size();
        double[] w = new double[n], density = new double[n];
        StringBuilder cfg = new StringBuilder("models:\n");
        for (int i = 0; i < n; i++) {
            w[i] = 0.2 + rnd.nextDouble();
            density[i] = 0.1 + 0.8 * rnd.nextDouble();
            cfg.append("  - model: ").append(c.models().get(i)).append("\n    parameters: {weight: ").append(w[i])
                    .append(", density: ").append(density[i]).append("}\n");
        }
        cfg.append("merge_method: ties\nbase_model: ").append(c.base()).append("\nparameters:\n  lambda: ").append(rc.lambda())
                .append("\n  normalize: true\n  int8_mask: true\ndtype: float32\n");
        Map<String, float[]> base = read(c.base());
        List<Map<String, float[]>> fts = c.readModels();
        Map<String, double[]> expected = new LinkedHashMap<>();
        for (String name : c.shapes().keySet()) {
            float[] b = base.get(name);
            int len = b.length;
            double[][] x = new double[n][len];
            for (int i = 0; i < n; i++) {
                double[] tau = new double[len];
                for (int j = 0; j < len; j++) tau[j] = (double) fts.get(i).get(name)[j] - b[j];
                int k = (int) Math.floor(density[i] * len);
                double[] mags = Arrays.stream(tau).map(Math::abs).sorted().toArray();
                double kth = k == 0 ? Double.POSITIVE_INFINITY : mags[len - k];
                for (int j = 0; j < len; j++) x[i][j] = Math.abs(tau[j]) >= kth ? w[i] * tau[j] : 0;
            }
            double[] out = new double[len];
            for (int j = 0; j < len; j++) {
                double s = 0;
                for (int i = 0; i < n; i++) s += x[i][j];
                double sign = s >= 0 ? 1 : -1, sum = 0, div = 0;
                for (int i = 0; i < n; i++) {
                    if (Math.signum(x[i][j]) == sign) {
                        sum += x[i][j];
                        div += w[i];
                    }
                }
                out[j] = b[j] + rc.lambda() * (sum / (div == 0 ? 1 : div));
            }
            expected.put(name, out);
        }
        runAndCompare(rc.seed(), cfg.toString(), c, expected);
    }

    /** Needs the merge nodes to take model.hf's manifests and write an output directory. */
    @Test
    void validateAndExportAcceptAGoodConfig() throws Exception {
        long seed = System.nanoTime();
        Checkpoints c = checkpoints(new SplittableRandom(seed), 2);
        Path ok = tmp.resolve("ok.yml");
        Files.writeString(ok, "merge_method: ties\nbase_model: " + c.base() + "\nmodels:\n  - model: " + c.models().get(0)
                + "\n  - model: " + c.models().get(1) + "\nparameters: {density: 0.5, int8_mask: true}\n");
        Cli.Result v = Cli.run("validate", ok.toString());
        assertEquals(0, v.exit(), v.toString());
        assertTrue(v.err().contains(ok + ":6:28: note: int8_mask is dropped"), v.toString());

        Cli.Result export = Cli.run("export", ok.toString(), "--output", tmp.resolve("out").toString());
        assertEquals(0, export.exit(), export.toString());
        assertTrue(export.out().contains("type: merge.ties"), export.toString());
        assertTrue(export.out().contains("type: model.hf"), export.toString());
        assertTrue(export.out().contains("output: \"" + tmp.resolve("out") + "\""), export.toString());
    }

    @Test
    void badConfigsAndMisplacedOptionsAreRejectedBeforeAnythingRuns() throws Exception {
        long seed = System.nanoTime();
        Checkpoints c = checkpoints(new SplittableRandom(seed), 1);
        Path ok = tmp.resolve("ok.yml");
        Files.writeString(ok, "merge_method: ties\nbase_model: " + c.base() + "\nmodels:\n  - model: " + c.models().get(0) + "\n");
        Cli.Result noOutput = Cli.run("run", ok.toString(), "--home", tmp.resolve("home").toString());
        assertEquals(2, noOutput.exit(), noOutput.toString());
        assertTrue(noOutput.err().contains(ok + " is a mergekit config: give --output DIR"), noOutput.toString());
        Cli.Result param = Cli.run("validate", ok.toString(), "--param", "x=1");
        assertEquals(2, param.exit(), param.toString());
        assertTrue(param.err().contains("--param does not apply to " + ok), param.toString());

        Path bad = tmp.resolve("bad.yml");
        Files.writeString(bad, "merge_method: ties\nbase_model: " + c.base() + "\nmodels:\n  - model: " + c.models().get(0)
                + "\nparameters:\n  density: lots\n");
        Cli.Result b = Cli.run("validate", bad.toString());
        assertEquals(2, b.exit(), b.toString());
        assertTrue(b.err().contains(bad + ":6:12: error: bad parameter 'density'"), b.toString());

        Path method = tmp.resolve("method.yml");
        Files.writeString(method, "merge_method: nuslerp\nmodels:\n  - model: " + c.models().get(0) + "\n");
        Cli.Result m = Cli.run("run", method.toString(), "--output", tmp.resolve("x").toString(), "--home", tmp.resolve("home").toString());
        assertEquals(2, m.exit(), m.toString());
        assertTrue(m.err().contains(method + ":1:15: error: merge_method 'nuslerp' is not supported"), m.toString());
        assertFalse(Files.exists(tmp.resolve("x")), "nothing written for an invalid config");

        Path workflow = tmp.resolve("w.yaml");
        Files.writeString(workflow, "name: w\ntasks:\n  a: {type: util.noop}\n");
        Cli.Result w = Cli.run("run", workflow.toString(), "--output", tmp.resolve("y").toString(), "--home", tmp.resolve("home").toString());
        assertEquals(2, w.exit(), w.toString());
        assertTrue(w.err().contains("--output applies to mergekit configs"), w.toString());
    }
}
