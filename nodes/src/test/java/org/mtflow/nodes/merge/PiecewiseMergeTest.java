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
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;

/**
 * A tensor merged in pieces has the bits of the same tensor merged whole, for every data-free method
 * and every variant that needs something of the whole tensor first: thresholds (TIES, Breadcrumbs),
 * sums (rescales, SLERP's angle, Model Stock's cosines, per tensor or per row), whole rows (DELLA).
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
    void everyMethodGivesTheWholeTensorsBitsInPieces() throws Exception {
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
        int methods = 0, rounds = 4;
        for (MergeMethod method : java.util.Collections.nCopies(rounds, MergeMethods.all()).stream().flatMap(List::stream).toList()) {
            Map<String, Object> params = new LinkedHashMap<>();
            Set<String> known = method.parameters();
            // Every variant that changes what must be known of the whole tensor first.
            if (known.contains("rescale")) params.put("rescale", rnd.nextBoolean());
            if (known.contains("rescale_norm")) params.put("rescale_norm", rnd.nextBoolean() ? "l1" : "inverse");
            if (known.contains("topk") && rnd.nextInt(3) == 0) params.put("topk", "global");
            if (known.contains("filter_wise")) params.put("filter_wise", rnd.nextBoolean());
            if (known.contains("t")) params.put("t", rnd.nextDouble());
            int models = method.name().equals("slerp") ? 1 : 3;
            boolean della = known.contains("epsilon");
            List<Map<String, Object>> perModel = new ArrayList<>();
            for (int i = 0; i < models; i++) {
                Map<String, Object> m = new LinkedHashMap<>();
                if (known.contains("weight")) m.put("weight", 0.1 + rnd.nextDouble());
                if (known.contains("density")) m.put("density", i == 2 ? 1.0 : della ? 0.2 + 0.6 * rnd.nextDouble() : 0.05 + 0.9 * rnd.nextDouble());
                perModel.add(m);
            }
            TensorParams tp = MergeParams.of(method, params, perModel, models, Layers.of(SHAPES.keySet())).forTensor("layers.0.w");
            assertTrue(method.piecewise(tp), method.name() + " " + params + " does not merge in pieces");
            // Whole rows of 11 and 16 columns fit in a piece of 16 or more.
            int piece = method.wholeRows(tp) ? 16 + rnd.nextInt(40) : 1 + rnd.nextInt(40);
            Collecting whole = new Collecting(0), pieces = new Collecting(piece);
            Merger.merge(OPS, method, files.get(0), files.subList(1, 1 + models), params, perModel, seed, whole);
            Merger.merge(OPS, method, files.get(0), files.subList(1, 1 + models), params, perModel, seed, pieces);
            String where = method.name() + " " + params + ", seed " + seed + ", piece " + piece;
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
        assertEquals(rounds * MergeMethods.all().size(), methods, "methods merged in pieces");
    }
}
