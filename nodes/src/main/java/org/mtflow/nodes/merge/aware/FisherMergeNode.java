package org.mtflow.nodes.merge.aware;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.nodes.model.Mlp;

/**
 * Fisher merging (Matena &amp; Raffel, 2022): each trunk parameter is the average of the models'
 * values weighted by their diagonal Fisher information, {@code θ* = Σᵢ (Fᵢ + ε) θᵢ / Σᵢ (Fᵢ + ε)}, with
 * {@code Fᵢ = (1/N) Σₙ (∂ log p(yₙ | xₙ; θᵢ) / ∂θ)²} over N examples of task i's training split,
 * computed through model i's own head. {@code labels: predicted} (default, the paper's choice of a
 * label the model believes) takes yₙ as the model's own argmax prediction, {@code labels: dataset}
 * the true label (the "empirical Fisher"). ε keeps parameters that no model's data moves (zero Fisher
 * everywhere) at the plain average instead of 0/0. Heads are not merged: each task keeps its own
 * model's head (see {@link MergeTasks}); the base only fixes the architecture the models must share.
 */
public final class FisherMergeNode implements NodeType<FisherMergeNode.Params> {

    public record Params(
            @Doc("training examples per task the Fisher is estimated on (a seeded sample), default 256") Integer examples,
            @Doc("predicted (the model's argmax, default) or dataset (the true labels: empirical Fisher)") String labels,
            @Doc("added to every Fisher weight, default 1e-6") Double epsilon,
            @Doc("overrides the run seed for the example sample") Long seed) {
        public Params {
            if (examples == null) examples = 256;
            if (labels == null) labels = "predicted";
            if (epsilon == null) epsilon = 1e-6;
            if (examples < 1) throw new IllegalArgumentException("examples must be at least 1, got " + examples);
            if (!labels.equals("predicted") && !labels.equals("dataset")) {
                throw new IllegalArgumentException("labels must be predicted or dataset, got '" + labels + "'");
            }
            if (!(epsilon > 0)) throw new IllegalArgumentException("epsilon must be > 0, got " + epsilon);
        }
    }

    @Override public String name() { return "merge.fisher"; }
    @Override public String description() { return "Merges fine-tuned models' trunks weighted by their diagonal Fisher information on each task's data."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return MergeTasks.inputs(); }
    @Override public List<Port> outputs() { return MergeTasks.outputs(); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        MergeTasks in = MergeTasks.read(ctx);
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        TensorOps ops = ctx.ops();
        List<Map<String, Tensor>> fishers = new java.util.ArrayList<>();
        for (int t = 0; t < in.tasks().size(); t++) {
            ctx.checkCancelled();
            MergeTasks.Task task = in.tasks().get(t);
            long stream = ctx.stream("examples/" + t);
            Tensor x = MergeTasks.sample(task.train().x(), p.examples(), seed, stream);
            int[] labels = p.labels().equals("dataset") ? MergeTasks.sampleLabels(task.train().y(), p.examples(), seed, stream) : null;
            Map<String, Tensor> f = fisher(ops, task.model(), task.head(), x, labels);
            fishers.add(f);
            ctx.metric("fisher-mean." + task.mergedHead(), f.values().stream().mapToDouble(ops::sum).sum()
                    / f.values().stream().mapToInt(Tensor::size).sum());
            ctx.progress((t + 1.0) / in.tasks().size(), String.format(Locale.ROOT, "Fisher of task %d/%d", t + 1, in.tasks().size()));
        }
        List<Map<String, Tensor>> trunks = in.tasks().stream().map(t -> t.model().parameters()).toList();
        Mlp merged = in.assemble(merge(ops, in.trunkNames(), trunks, fishers, p.epsilon().floatValue()));
        ctx.output("model", merged::write);
    }

    /**
     * The diagonal Fisher of every trunk tensor of {@code model}: the mean over the rows of x of the
     * squared gradient of −log p(y | x) through head {@code head}, y the given label or, with
     * {@code labels} null, the model's argmax. All rows in one batched pass ({@link Mlp#squaredGradientSums}).
     */
    static Map<String, Tensor> fisher(TensorOps ops, Mlp model, String head, Tensor x, int[] labels) {
        int n = x.dim(0);
        int[] y = labels;
        if (y == null) {
            y = new int[n];
            ops.argmaxRows(model.logits(ops, x, head), y);
        }
        int[] target = y;
        Map<String, Tensor> sums = new HashMap<>();
        model.squaredGradientSums(ops, x, head, (logits, grad) -> {
            // d(−log p_y)/dz per row: softmax cross-entropy's mean gradient times the row count
            ops.softmaxCrossEntropy(logits, target, grad);
            ops.scale(grad, n, grad);
            return 0;
        }, sums);
        Map<String, Tensor> fisher = new LinkedHashMap<>();
        model.parameters().keySet().stream().filter(k -> k.startsWith("trunk.")).forEach(k -> {
            Tensor f = sums.get(k);
            ops.scale(f, 1f / n, f);
            fisher.put(k, f);
        });
        return fisher;
    }

    /** {@code Σᵢ (Fᵢ + ε) θᵢ / Σᵢ (Fᵢ + ε)} for each named tensor. */
    static Map<String, Tensor> merge(TensorOps ops, List<String> names, List<Map<String, Tensor>> params,
                                     List<Map<String, Tensor>> fishers, float epsilon) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String k : names) {
            Tensor like = params.get(0).get(k);
            Tensor num = Tensor.zerosLike(like), den = Tensor.zerosLike(like), w = Tensor.zerosLike(like), eps = Tensor.zerosLike(like);
            ops.fill(eps, epsilon);
            for (int i = 0; i < params.size(); i++) {
                ops.add(fishers.get(i).get(k), eps, w);
                ops.add(den, w, den);
                ops.mul(w, params.get(i).get(k), w);
                ops.add(num, w, num);
            }
            // TensorOps has no division; this is one pass over the tensor
            float[] nd = num.data(), dd = den.data();
            for (int j = 0; j < nd.length; j++) nd[j] /= dd[j];
            out.put(k, num);
        }
        return out;
    }
}
