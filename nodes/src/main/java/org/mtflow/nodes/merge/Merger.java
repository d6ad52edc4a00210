package org.mtflow.nodes.merge;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.format.Safetensors;

/**
 * Runs a merge method over whole checkpoints, one tensor at a time: every input must hold the same
 * tensor names with the same shapes and dtypes (checked for all tensors before any is read); for each
 * name, one tensor is read from each input, merged, and handed to the writer in the reference's dtype
 * (the base's, or the first model's). The output keeps the reference's metadata, so a merged Mlp is an Mlp.
 */
public final class Merger {
    private Merger() {}

    /** Receives each merged tensor, in the reference's tensor order. */
    public interface Sink {
        /**
         * Called once, before the first tensor: every tensor to come, the reference's metadata, and its
         * config.json (null for a bare safetensors checkpoint).
         */
        default void start(java.util.Collection<Safetensors.Entry> entries, Map<String, String> metadata, Path configFile) throws IOException {}

        void put(String name, Tensor merged, Safetensors.Entry like) throws IOException;

        /**
         * The most elements of a tensor merged at once by a {@linkplain MergeMethod#piecewise piecewise}
         * method, which then hands larger tensors over in order through {@link #putPiece}; 0 (the
         * default): whole tensors only.
         */
        default int pieceElements() { return 0; }

        /** Elements {@code [from, from + piece.size())} of a merged tensor; called only when {@link #pieceElements()} is positive. */
        default void putPiece(String name, long from, Tensor piece, Safetensors.Entry like) throws IOException {
            throw new IllegalStateException("this sink takes whole tensors: pieceElements() must stay 0");
        }
    }

    /** Merges; returns the reference's metadata. Mismatched inputs throw IllegalArgumentException naming tensor and file. */
    public static Map<String, String> merge(TensorOps ops, MergeMethod method, Path base, List<Path> models,
                                            Map<String, Object> parameters, List<Map<String, Object>> modelParameters,
                                            long seed, Sink sink) throws IOException {
        try (Inputs in = Inputs.open(method, base, models, parameters, modelParameters, null)) {
            sink.start(in.ref.entries().values(), in.ref.metadata(), in.ref.configFile());
            mergeTensors(ops, method, in, List.copyOf(in.ref.entries().keySet()), seed, sink);
            return in.ref.metadata();
        }
    }

    /**
     * A merge's inputs, opened and checked (the same tensors everywhere, known parameters), with the
     * parameters resolved: the reference (the base, or the first model) and the models.
     */
    static final class Inputs implements AutoCloseable {
        final Checkpoint ref;
        final List<Checkpoint> models;
        final MergeParams params;
        final double[] globalThresholds; // each model's, for topk: global; else null
        private final List<Checkpoint> open;

        private Inputs(Checkpoint ref, List<Checkpoint> models, MergeParams params, double[] globalThresholds, List<Checkpoint> open) {
            this.ref = ref;
            this.models = models;
            this.params = params;
            this.globalThresholds = globalThresholds;
            this.open = open;
        }

        /**
         * Opens and checks the inputs. With {@code topk: global}, each model's whole-model threshold is
         * {@code globalThresholds} when given (computed by an earlier open of the same inputs), else computed
         * here in two streaming passes over the checkpoints.
         */
        static Inputs open(MergeMethod method, Path base, List<Path> models, Map<String, Object> parameters,
                           List<Map<String, Object>> modelParameters, double[] globalThresholds) throws IOException {
            if (models.isEmpty()) throw new IllegalArgumentException("merge." + method.name() + " needs at least one model in input 'models'");
            if (method.needsBase() && base == null) throw new IllegalArgumentException("merge." + method.name() + " needs input 'base' (task vectors are model − base)");
            List<Checkpoint> open = new ArrayList<>();
            try {
                Checkpoint ref = null;
                if (base != null && method.needsBase()) open.add(ref = Checkpoint.open(base));
                List<Checkpoint> ms = new ArrayList<>();
                for (Path m : models) {
                    Checkpoint c = Checkpoint.open(m);
                    open.add(c);
                    ms.add(c);
                }
                if (ref == null) ref = ms.get(0);
                for (Checkpoint c : open) check(ref, c);
                MergeParams params = MergeParams.of(method, parameters, modelParameters, models.size(), Layers.of(ref.entries().keySet()));
                double[] global = null;
                if (method.parameters().contains("topk") && parameters != null && "global".equals(parameters.get("topk"))) {
                    if (globalThresholds != null && globalThresholds.length != ms.size()) {
                        throw new IllegalArgumentException("topk: global: " + globalThresholds.length + " thresholds given for " + ms.size() + " models");
                    }
                    global = globalThresholds != null ? globalThresholds.clone() : globalThresholds(ref, ms, params);
                    params = params.withComputed(Sparsification.GLOBAL_THRESHOLD, global);
                }
                return new Inputs(ref, ms, params, global, open);
            } catch (IOException | RuntimeException | Error e) {
                for (Checkpoint c : open) {
                    try {
                        c.close();
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            for (Checkpoint c : open) c.close();
        }
    }

    /** Merges the named tensors of the inputs, in that order, into the sink (whose start is the caller's to call). */
    static void mergeTensors(TensorOps ops, MergeMethod method, Inputs in, List<String> names, long seed, Sink sink) throws IOException {
        Checkpoint ref = in.ref;
        List<Checkpoint> ms = in.models;
        MergeParams params = in.params;
        int piece = sink.pieceElements();
        for (String name : names) {
            Safetensors.Entry e = ref.entries().get(name);
            if (e == null) throw new IllegalArgumentException("tensor '" + name + "' is not in " + ref.path());
            TensorParams tp = params.forTensor(name);
            if (piece > 0 && e.elements() > piece && method.piecewise(tp)) {
                int cols = cols(e);
                int len = method.wholeRows(tp) ? piece / cols * cols : piece; // 0: a row longer than a piece
                if (len > 0) {
                    mergeInPieces(ops, method, ref, ms, e, params, seed, len, sink);
                    continue;
                }
            }
            Tensor b = method.needsBase() ? ref.read(name) : null;
            List<Tensor> ts = new ArrayList<>(ms.size());
            for (Checkpoint c : ms) ts.add(c.read(name));
            Tensor merged = method.merge(ops, new TensorSlot(name, b, ts, tp), seed);
            sink.put(name, merged, e);
        }
    }

    /** The tensor's row length: its last dimension (1 for a scalar). */
    private static int cols(Safetensors.Entry e) {
        int[] shape = e.shape();
        return shape.length == 0 ? 1 : Math.max(1, shape[shape.length - 1]);
    }

    /**
     * One tensor, {@code piece} elements at a time from every input: the heap holds pieces, never the
     * tensor. First the passes the method asks for over the whole tensor — its thresholds, then its
     * sums — then the merge, piece by piece.
     */
    private static void mergeInPieces(TensorOps ops, MergeMethod method, Checkpoint ref, List<Checkpoint> ms, Safetensors.Entry e,
                                      MergeParams params, long seed, int piece, Sink sink) throws IOException {
        String name = e.name();
        TensorParams tp = params.forTensor(name);
        double[][] t = tensorThresholds(ops, method, ref, ms, e, tp, piece);
        if (t != null) {
            tp = params.withComputed(Sparsification.TENSOR_THRESHOLD, t[0]).withComputed(Sparsification.TENSOR_THRESHOLD_2, t[1]).forTensor(name);
        }
        TensorSums sums = method.sums(tp, ms.size(), e.elements(), cols(e));
        if (sums != null) {
            for (long from = 0; from < e.elements(); from += piece) {
                method.feedSums(ops, readPiece(method, ref, ms, e, tp, from, piece, null), seed, sums);
            }
        }
        for (long from = 0; from < e.elements(); from += piece) {
            TensorSlot slot = readPiece(method, ref, ms, e, tp, from, piece, sums);
            sink.putPiece(name, from, method.merge(ops, slot, seed), e);
        }
    }

    /** Elements [from, from + piece) of every input (fewer at the end), shaped [rows, cols] for a method that needs whole rows. */
    private static TensorSlot readPiece(MergeMethod method, Checkpoint ref, List<Checkpoint> ms, Safetensors.Entry e, TensorParams tp,
                                        long from, int piece, TensorSums sums) throws IOException {
        String name = e.name();
        int len = (int) Math.min(piece, e.elements() - from);
        int cols = cols(e);
        boolean rows = method.wholeRows(tp);
        Tensor b = method.needsBase() ? shaped(ref.readRange(name, from, len), rows, cols) : null;
        List<Tensor> ts = new ArrayList<>(ms.size());
        for (Checkpoint c : ms) ts.add(shaped(c.readRange(name, from, len), rows, cols));
        return new TensorSlot(name, b, ts, tp, from, sums);
    }

    private static Tensor shaped(Tensor piece, boolean rows, int cols) {
        return rows ? Tensor.of(piece.data(), piece.size() / cols, cols) : piece;
    }

    /**
     * Each model's thresholds for one tensor, at the ranks the method asks for ({@link
     * MergeMethod#thresholdRanks}): [j][i] is model i's k_j-th largest |θᵢ − θ₀|, NaN where it asks for
     * fewer, or null when it asks for none; found in two streaming passes over pieces, as the whole
     * tensor would give them. Each pass reads a piece of the base once for all the models.
     */
    private static double[][] tensorThresholds(TensorOps ops, MergeMethod method, Checkpoint ref, List<Checkpoint> ms,
                                               Safetensors.Entry e, TensorParams params, int piece) throws IOException {
        String name = e.name();
        long n = e.elements();
        double[][] t = new double[2][ms.size()];
        for (double[] row : t) Arrays.fill(row, Double.NaN);
        StreamingThreshold.Search[] searches = new StreamingThreshold.Search[ms.size()];
        for (int i = 0; i < ms.size(); i++) {
            long[] ranks = method.thresholdRanks(params, i, n);
            if (ranks.length == 0) continue; // kept whole, or rejected with its message when the piece is merged
            if (ranks.length > t.length) throw new IllegalStateException(method.name() + " asks for " + ranks.length + " thresholds; at most " + t.length);
            searches[i] = new StreamingThreshold.Search(n, ranks);
        }
        if (Arrays.stream(searches).allMatch(java.util.Objects::isNull)) return null;
        feedTaskVectors(ops, ref, ms, name, n, piece, searches, true);
        boolean second = false;
        for (StreamingThreshold.Search s : searches) second |= s != null && s.needsSecondPass();
        if (second) feedTaskVectors(ops, ref, ms, name, n, piece, searches, false);
        for (int i = 0; i < ms.size(); i++) {
            if (searches[i] == null) continue;
            float[] found = searches[i].thresholds();
            for (int j = 0; j < found.length; j++) t[j][i] = found[j];
        }
        return t;
    }

    /** One pass over a tensor's pieces: each piece of θ₀ read once, each model's τᵢ = θᵢ − θ₀ counted by its search. */
    private static void feedTaskVectors(TensorOps ops, Checkpoint ref, List<Checkpoint> ms, String name, long n, int piece,
                                        StreamingThreshold.Search[] searches, boolean high) throws IOException {
        for (long from = 0; from < n; from += piece) {
            int len = (int) Math.min(piece, n - from);
            Tensor base = ref.readRange(name, from, len);
            for (int i = 0; i < ms.size(); i++) {
                StreamingThreshold.Search s = searches[i];
                if (s == null || (!high && !s.needsSecondPass())) continue;
                Tensor tau = Elementwise.delta(ops, ms.get(i).readRange(name, from, len), base);
                if (high) s.countHigh(tau.data(), len);
                else s.countLow(tau.data(), len);
            }
        }
    }

    /** Each model's whole-model top-k threshold; density must be one value per model across tensors. */
    private static double[] globalThresholds(Checkpoint ref, List<Checkpoint> ms, MergeParams params) throws IOException {
        List<String> names = List.copyOf(ref.entries().keySet());
        long total = 0;
        long[] k = new long[ms.size()];
        double[] density = new double[ms.size()];
        for (int n = 0; n < names.size(); n++) {
            TensorParams p = params.forTensor(names.get(n));
            for (int i = 0; i < ms.size(); i++) {
                double d = p.model(i, "density", 1.0);
                if (n == 0) density[i] = d;
                else if (d != density[i]) throw new IllegalArgumentException("topk: global takes one density per model, but model " + i
                        + "'s is " + density[i] + " for '" + names.get(0) + "' and " + d + " for '" + names.get(n) + "'; drop the filters/gradients or use topk: tensor");
            }
            total += ref.entries().get(names.get(n)).elements();
        }
        for (int i = 0; i < ms.size(); i++) k[i] = (long) Math.floor(Math.min(1, density[i]) * total);
        return GlobalThresholds.compute(new GlobalThresholds.Source() {
            public List<String> names() { return names; }
            public Tensor base(String name) throws IOException { return ref.read(name); }
            public Tensor model(int i, String name) throws IOException { return ms.get(i).read(name); }
        }, ms.size(), k);
    }

    private static void check(Checkpoint ref, Checkpoint c) {
        if (c == ref) return;
        for (var e : ref.entries().values()) {
            Safetensors.Entry o = c.entries().get(e.name());
            if (o == null) throw new IllegalArgumentException("tensor '" + e.name() + "' of " + ref.path() + " is missing from " + c.path()
                    + "; merged models must share every tensor name");
            if (!Arrays.equals(o.shape(), e.shape())) throw new IllegalArgumentException("tensor '" + e.name() + "' is "
                    + Arrays.toString(o.shape()) + " in " + c.path() + " but " + Arrays.toString(e.shape()) + " in " + ref.path()
                    + "; merged models must have the same architecture");
            if (o.dtype() != e.dtype()) throw new IllegalArgumentException("tensor '" + e.name() + "' is " + o.dtype() + " in " + c.path()
                    + " but " + e.dtype() + " in " + ref.path() + "; convert the checkpoints to one dtype before merging");
        }
        for (String name : c.entries().keySet()) {
            if (!ref.entries().containsKey(name)) throw new IllegalArgumentException("tensor '" + name + "' of " + c.path()
                    + " is missing from " + ref.path() + "; merged models must share every tensor name");
        }
    }
}
