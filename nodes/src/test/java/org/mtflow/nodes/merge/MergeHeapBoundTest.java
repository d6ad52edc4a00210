package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.nodes.TestSeeds;

/**
 * The heap bound of issue 8, scaled down: every data-free method merges checkpoints whose largest
 * tensor is 160 MB as float32 (4 inputs: 640 MB whole) in a JVM with a 384 MiB heap, because it
 * merges that tensor in pieces. The same JVM merging whole tensors runs out of heap, so the bound
 * is tight enough to tell.
 */
class MergeHeapBoundTest {
    @TempDir Path dir;

    static final String HEAP = "-Xmx384m";
    static final int ROWS = 20_000, COLS = 2_000; // 40M elements

    @Test
    void everyMethodMergesA160MbTensorIn384MibOfHeap() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] base = new float[ROWS * COLS];
        for (int i = 0; i < base.length; i++) base[i] = (float) (rnd.nextGaussian() * 0.02);
        write("base", base);
        for (int m = 0; m < 3; m++) {
            float[] x = base.clone();
            for (int i = 0; i < x.length; i++) x[i] += (float) (rnd.nextGaussian() * 0.002);
            write("m" + m, x);
        }
        base = null;
        List<String> methods = new ArrayList<>();
        for (MergeMethod m : MergeMethods.all()) methods.add(m.name());
        methods.addAll(List.of("ties:rescale", "breadcrumbs:rescale", "model-stock:filter_wise"));

        Run pieces = child(methods);
        assertEquals(0, pieces.exit, "seed " + seed + ": merges in pieces under " + HEAP + ":\n" + pieces.output);
        for (String m : methods) assertTrue(pieces.output.contains("merged " + m + "\n"), "seed " + seed + ": no 'merged " + m + "' in:\n" + pieces.output);

        Run whole = child(List.of("--whole", "average"));
        assertEquals(3, whole.exit, "whole tensors were expected to run out of " + HEAP + ":\n" + whole.output);
    }

    private void write(String name, float[] values) throws IOException {
        Safetensors.writer().put("big.weight", Tensor.of(values, ROWS, COLS), Dtype.BF16)
                .put("small.bias", Tensor.of(java.util.Arrays.copyOf(values, COLS), COLS), Dtype.BF16)
                .writeFile(dir.resolve(name + ".safetensors"));
    }

    record Run(int exit, String output) {}

    private Run child(List<String> args) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), HEAP, "-cp", System.getProperty("java.class.path"),
                HeapBoundMerges.class.getName(), dir.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the child merge did not end:\n" + out);
        return new Run(p.exitValue(), out);
    }
}
