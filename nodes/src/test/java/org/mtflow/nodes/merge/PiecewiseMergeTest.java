package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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

/**
 * A tensor merged in pieces — by an elementwise method, by DARE, or by TIES with its thresholds found in a
 * streaming pass — has the bits of the same tensor merged whole.
 */
class PiecewiseMergeTest {
    @TempDir Path dir;

    static final JavaOps OPS = new JavaOps(2);
    static final Map<String, int[]> SHAPES = new LinkedHashMap<>(Map.of("embed.weight", new int[] {37, 11}, "layers.0.w", new int[] {16, 16},
            "head.bias", new int[] {5}));

    /** Collects whole tensors and pieces; pieces must come in order and cover each tensor exactly. */
    static final class Collecting implements Merger.Sink {
        final int pieceElements;
        final Map<String, float[]> tensors = new LinkedHashMap<>();
        final Map<String, Long> written = new LinkedHashMap<>();
        final List<String> piecewise = new ArrayList<>();

        Collecting(int pieceElements) { this.pieceElements = pieceElements; }

        @Override public int pieceElements() { return pieceElements; }

        @Override
        public void put(String name, Tensor merged, Safetensors.Entry like) {
            assertArrayEquals(like.shape(), merged.shape(), name);
            tensors.put(name, merged.data().clone());
        }

        @Override
        public void putPiece(String name, long from, Tensor piece, Safetensors.Entry like) throws IOException {
            assertTrue(piece.size() <= pieceElements, name + ": a piece of " + piece.size() + " elements");
            assertEquals(written.getOrDefault(name, 0L), from, name + ": pieces out of order");
            if (from == 0) piecewise.add(name);
            float[] t = tensors.computeIfAbsent(name, n -> new float[(int) like.elements()]);
            System.arraycopy(piece.data(), 0, t, (int) from, piece.size());
            written.put(name, from + piece.size());
        }
    }

    @Test
    void elementwiseMethodsGiveTheWholeTensorsBitsInPieces() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Path> files = new ArrayList<>();
        for (int m = 0; m < 4; m++) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            SHAPES.forEach((name, shape) -> {
                float[] x = new float[shape[0] * (shape.length > 1 ? shape[1] : 1)];
                for (int j = 0; j < x.length; j++) x[j] = (float) rnd.nextGaussian();
                t.put(name, Tensor.of(x, shape));
            });
            Path f = dir.resolve("m" + m + ".safetensors");
            Safetensors.writeFile(f, t, Map.of());
            files.add(f);
        }
        int methods = 0;
        for (MergeMethod method : MergeMethods.all()) {
            Map<String, Object> params = new LinkedHashMap<>();
            List<Map<String, Object>> perModel = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Map<String, Object> m = new LinkedHashMap<>();
                if (method.parameters().contains("weight")) m.put("weight", 0.1 + rnd.nextDouble());
                if (method.parameters().contains("density")) m.put("density", i == 2 ? 1.0 : 0.05 + 0.9 * rnd.nextDouble());
                perModel.add(m);
            }
            TensorParams tp = MergeParams.of(method, params, perModel, 3, Layers.of(SHAPES.keySet())).forTensor("layers.0.w");
            if (!method.elementwise() && !method.elementwiseGivenThresholds(tp)) continue;
            int piece = 1 + rnd.nextInt(40);
            Collecting whole = new Collecting(0), pieces = new Collecting(piece);
            Merger.merge(OPS, method, files.get(0), files.subList(1, 4), params, perModel, seed, whole);
            Merger.merge(OPS, method, files.get(0), files.subList(1, 4), params, perModel, seed, pieces);
            String where = method.name() + ", seed " + seed + ", piece " + piece;
            methods++;
            assertFalse(pieces.piecewise.isEmpty(), where + ": no tensor was merged in pieces");
            for (String name : SHAPES.keySet()) {
                float[] a = whole.tensors.get(name), b = pieces.tensors.get(name);
                assertEquals((long) a.length, pieces.written.getOrDefault(name, (long) a.length), where + ", " + name + ": pieces do not cover the tensor");
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), where + ", " + name + "[" + i + "]");
                }
            }
        }
        assertTrue(methods >= 9, "methods merged in pieces: " + methods); // average, task-arithmetic, ties, dare-linear, dare-ties, lines, consensus, breadcrumbs(-ties)
    }
}
