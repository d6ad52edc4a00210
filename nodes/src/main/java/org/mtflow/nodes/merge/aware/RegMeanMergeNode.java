package org.mtflow.nodes.merge.aware;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.nodes.model.Mlp;

/**
 * RegMean (Jin et al., 2023, "Dataless knowledge fusion by merging weights of language models"):
 * each trunk layer's weight W [in, out] (a layer is x·W + b) becomes the minimiser of
 * {@code Σᵢ ‖Xᵢ W − Xᵢ Wᵢ‖²}, {@code W* = (Σᵢ G̃ᵢ)⁻¹ Σᵢ G̃ᵢ Wᵢ}, with {@code Gᵢ = XᵢᵀXᵢ} the Gram
 * matrix of the layer's inputs Xᵢ on N examples of task i's training split, computed by model i
 * itself, and {@code G̃ᵢ = α·Gᵢ + (1 − α)·diag(Gᵢ)}: the paper's shrink of the off-diagonals
 * (α = 1 is the exact regression; smaller α pulls W* toward a diagonal-weighted average and keeps
 * the system well conditioned). Biases are plain averages. Input features that are zero on every
 * task's data (a pixel never lit, a ReLU never on) leave their rows of the system empty: any value
 * solves it, so those rows take the plain average and the rest is solved (Cholesky in float64).
 * Heads are not merged: each task keeps its own model's head (see {@link MergeTasks}); the base only
 * fixes the architecture the models must share.
 */
public final class RegMeanMergeNode implements NodeType<RegMeanMergeNode.Params> {

    public record Params(
            @Doc("training examples per task the Gram matrices are computed on (a seeded sample), default 256") Integer examples,
            @Doc("scale of the Gram matrices' off-diagonal entries, in [0, 1], default 0.9 (the paper's)") Double alpha,
            @Doc("overrides the run seed for the example sample") Long seed) {
        public Params {
            if (examples == null) examples = 256;
            if (alpha == null) alpha = 0.9;
            if (examples < 1) throw new IllegalArgumentException("examples must be at least 1, got " + examples);
            if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
    }

    @Override public String name() { return "merge.regmean"; }
    @Override public String description() { return "Merges fine-tuned models' trunk layers by RegMean: the closed form from each task's layer-input Gram matrices."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return MergeTasks.inputs(); }
    @Override public List<Port> outputs() { return MergeTasks.outputs(); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        MergeTasks in = MergeTasks.read(ctx);
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        TensorOps ops = ctx.ops();
        List<List<Tensor>> grams = new ArrayList<>();
        for (int t = 0; t < in.tasks().size(); t++) {
            ctx.checkCancelled();
            MergeTasks.Task task = in.tasks().get(t);
            Tensor x = MergeTasks.sample(task.train().x(), p.examples(), seed, ctx.stream("examples/" + t));
            grams.add(grams(ops, task.model(), task.head(), x));
        }
        int layers = in.base().spec().hidden().size();
        Map<String, Tensor> trunk = new LinkedHashMap<>();
        for (int l = 0; l < layers; l++) {
            String w = "trunk." + l + ".weight", b = "trunk." + l + ".bias";
            List<Tensor> g = new ArrayList<>(), ws = new ArrayList<>(), bs = new ArrayList<>();
            for (int t = 0; t < in.tasks().size(); t++) {
                g.add(grams.get(t).get(l));
                ws.add(in.tasks().get(t).model().parameters().get(w));
                bs.add(in.tasks().get(t).model().parameters().get(b));
            }
            try {
                Solution s = solve(ops, g, ws, p.alpha());
                trunk.put(w, s.weight());
                ctx.metric("averaged-rows." + w, s.averagedRows());
            } catch (ArithmeticException e) {
                throw NodeException.permanent("RegMean on " + w + ": " + e.getMessage());
            }
            trunk.put(b, average(ops, bs));
            ctx.progress((l + 1.0) / layers, String.format(Locale.ROOT, "layer %d/%d", l + 1, layers));
        }
        Mlp merged = in.assemble(trunk);
        ctx.output("model", merged::write);
    }

    /** {@code XₗᵀXₗ} for the input Xₗ of every trunk layer l of {@code model} on the rows of x. */
    static List<Tensor> grams(TensorOps ops, Mlp model, String head, Tensor x) {
        List<Tensor> inputs = model.layerInputs(ops, x, head);
        List<Tensor> out = new ArrayList<>();
        for (int l = 0; l < model.spec().hidden().size(); l++) {
            Tensor a = inputs.get(l);
            Tensor g = Tensor.zeros(a.dim(1), a.dim(1));
            ops.matmul(a, true, a, false, g);
            out.add(g);
        }
        return out;
    }

    /** The merged weight, and how many of its rows had no data (plain average). */
    record Solution(Tensor weight, int averagedRows) {}

    /**
     * {@code W* = (Σ G̃ᵢ)⁻¹ Σ G̃ᵢ Wᵢ}, G̃ᵢ the Gram matrices with off-diagonals scaled by alpha; the rows
     * of input features whose summed diagonal is 0 take the plain average of the Wᵢ.
     *
     * @throws ArithmeticException when the system is singular
     */
    static Solution solve(TensorOps ops, List<Tensor> grams, List<Tensor> weights, double alpha) {
        int in = weights.get(0).dim(0), out = weights.get(0).dim(1);
        Tensor lhs = Tensor.zeros(in, in), rhs = Tensor.zeros(in, out), shrunk = Tensor.zeros(in, in), gw = Tensor.zeros(in, out);
        for (int i = 0; i < grams.size(); i++) {
            Tensor g = grams.get(i);
            ops.scale(g, (float) alpha, shrunk);
            float[] s = shrunk.data(), gd = g.data();
            for (int j = 0; j < in; j++) s[j * in + j] = gd[j * in + j]; // the diagonal stays whole
            ops.add(lhs, shrunk, lhs);
            ops.matmul(shrunk, weights.get(i), gw);
            ops.add(rhs, gw, rhs);
        }
        Tensor mean = average(ops, weights);
        // the features with data; the others' rows and columns of lhs are 0
        int[] live = java.util.stream.IntStream.range(0, in).filter(j -> lhs.data()[j * in + j] > 0).toArray();
        int m = live.length;
        double[] a = new double[m * m];
        double[] b = new double[m * out];
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < m; c++) a[r * m + c] = lhs.data()[live[r] * in + live[c]];
            for (int c = 0; c < out; c++) b[r * out + c] = rhs.data()[live[r] * out + c];
        }
        cholesky(a, m);
        solveInPlace(a, m, b, out);
        Tensor w = Tensor.of(mean.data().clone(), in, out);
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < out; c++) w.data()[live[r] * out + c] = (float) b[r * out + c];
        }
        return new Solution(w, in - m);
    }

    /** In place: the lower factor L of a = L·Lᵀ (a symmetric positive definite, m×m). */
    private static void cholesky(double[] a, int m) {
        for (int j = 0; j < m; j++) {
            double d = a[j * m + j];
            for (int k = 0; k < j; k++) d -= a[j * m + k] * a[j * m + k];
            // a pivot within float32 rounding of 0 (relative to its diagonal): the Gram matrices, summed in
            // float32, do not pin this row down. With α < 1 the pivots stay above (1 − α)·diagonal.
            if (!(d > 1e-6 * a[j * m + j])) {
                throw new ArithmeticException("the summed Gram matrix is singular (to float32 precision) at input feature row " + j
                        + " (pivot " + d + "): lower alpha (say 0.5) to shrink the off-diagonals more, or give more examples");
            }
            double l = Math.sqrt(d);
            a[j * m + j] = l;
            for (int i = j + 1; i < m; i++) {
                double s = a[i * m + j];
                for (int k = 0; k < j; k++) s -= a[i * m + k] * a[j * m + k];
                a[i * m + j] = s / l;
            }
        }
    }

    /** b := (L·Lᵀ)⁻¹ b for the m×cols right-hand sides b, L from {@link #cholesky}. */
    private static void solveInPlace(double[] l, int m, double[] b, int cols) {
        for (int c = 0; c < cols; c++) {
            for (int i = 0; i < m; i++) {
                double s = b[i * cols + c];
                for (int k = 0; k < i; k++) s -= l[i * m + k] * b[k * cols + c];
                b[i * cols + c] = s / l[i * m + i];
            }
            for (int i = m - 1; i >= 0; i--) {
                double s = b[i * cols + c];
                for (int k = i + 1; k < m; k++) s -= l[k * m + i] * b[k * cols + c];
                b[i * cols + c] = s / l[i * m + i];
            }
        }
    }

    static Tensor average(TensorOps ops, List<Tensor> ts) {
        Tensor sum = Tensor.zerosLike(ts.get(0));
        for (Tensor t : ts) ops.add(sum, t, sum);
        ops.scale(sum, 1f / ts.size(), sum);
        return sum;
    }
}
