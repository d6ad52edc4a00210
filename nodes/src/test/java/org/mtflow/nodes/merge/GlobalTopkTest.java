package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;

/** TIES with topk: global trims each task vector at its whole-model k-th magnitude, k = ⌊density·N⌋. */
class GlobalTopkTest {
    @TempDir Path dir;

    static final List<String> NAMES = List.of("embed.weight", "layers.0.w", "layers.1.w", "head.bias");
    static final int[][] SHAPES = {{50, 8}, {16, 16}, {16, 16}, {7}};
    static final float[] SCALES = {1f, 0.1f, 0.5f, 2f};

    @Test
    void globalThresholdsAreTheWholeModelsKthMagnitude() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int models = 3;
        List<Map<String, Tensor>> ckpts = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (int m = 0; m <= models; m++) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            for (int n = 0; n < NAMES.size(); n++) {
                int size = Arrays.stream(SHAPES[n]).reduce(1, (a, b) -> a * b);
                float[] x = new float[size];
                for (int j = 0; j < size; j++) {
                    x[j] = m == 0 ? (float) (rnd.nextDouble() * 2 - 1) : ckpts.get(0).get(NAMES.get(n)).data()[j] + SCALES[n] * (float) (rnd.nextDouble() * 2 - 1);
                }
                t.put(NAMES.get(n), Tensor.of(x, SHAPES[n]));
            }
            ckpts.add(t);
            Path f = dir.resolve("m" + m + ".safetensors");
            Safetensors.writeFile(f, t, Map.of());
            files.add(f);
        }
        double density = 0.1 + 0.6 * rnd.nextDouble();
        Map<String, Tensor> got = new LinkedHashMap<>(), perTensor = new LinkedHashMap<>();
        Merger.merge(new JavaOps(2), new TiesMerge(), files.get(0), files.subList(1, models + 1),
                Map.of("density", density, "topk", "global"), List.of(), seed, (n, t, like) -> got.put(n, t));
        Merger.merge(new JavaOps(2), new TiesMerge(), files.get(0), files.subList(1, models + 1),
                Map.of("density", density), List.of(), seed, (n, t, like) -> perTensor.put(n, t));

        // reference: each model's |τ| over all tensors, sorted; threshold = the k-th largest
        double[] thr = new double[models];
        for (int i = 0; i < models; i++) {
            List<Double> mags = new ArrayList<>();
            for (String n : NAMES) {
                float[] b = ckpts.get(0).get(n).data(), x = ckpts.get(i + 1).get(n).data();
                for (int j = 0; j < b.length; j++) mags.add((double) Math.abs(x[j] - b[j]));
            }
            mags.sort((a, b) -> Double.compare(b, a));
            thr[i] = mags.get((int) Math.floor(density * mags.size()) - 1);
        }
        boolean differs = false;
        for (String n : NAMES) {
            float[] b = ckpts.get(0).get(n).data();
            double[] base = new double[b.length];
            List<double[]> kept = new ArrayList<>();
            for (int j = 0; j < b.length; j++) base[j] = b[j];
            for (int i = 0; i < models; i++) {
                float[] x = ckpts.get(i + 1).get(n).data();
                double[] k = new double[b.length];
                for (int j = 0; j < b.length; j++) {
                    double tau = x[j] - b[j];
                    k[j] = Math.abs((float) tau) >= thr[i] ? tau : 0;
                }
                kept.add(k);
            }
            MergeMethodsTest.assertClose(MergeMethodsTest.combineRef(base, kept, new double[] {1, 1, 1}, "sum", true, 1), got.get(n), seed, "global ties " + n);
            differs |= !Arrays.equals(got.get(n).data(), perTensor.get(n).data());
        }
        assertTrue(differs, "seed " + seed + ": global and per-tensor top-k should differ on tensors of different scales");

        var e = assertThrows(IllegalArgumentException.class, () -> Merger.merge(new JavaOps(1), new TiesMerge(), files.get(0), files.subList(1, 2),
                Map.of("density", List.of(0.2, 0.8), "topk", "global"), List.of(), seed, (n, t, like) -> {}));
        assertTrue(e.getMessage().contains("one density per model"), e.getMessage());
        assertNotEquals(0, got.size());
    }
}
