package org.mtflow.nodes.merge.aware;

import java.util.ArrayList;
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
 * AdaMerging (Yang et al., ICLR 2024): task arithmetic whose coefficients are learned without
 * labels. The trunk is {@code θ(λ) = θ₀ + Σᵢ λᵢ τᵢ} (task-wise: one λ per model) or
 * {@code θₚ(λ) = θ₀ₚ + Σᵢ λᵢₚ τᵢₚ} for each trunk tensor p (layer-wise), τᵢ = θᵢ − θ₀, and λ minimises
 * {@code Σᵢ mean over xᵢ of H(softmax(headᵢ(trunk_θ(λ)(x))))}, the Shannon entropy of each task's
 * predictions on N unlabeled examples of its test split (the paper's test-time setting; only x is
 * read). λ starts at {@code init} (0.3, the paper's) and takes {@code steps} full-batch Adam steps;
 * {@code ∂L/∂λᵢₚ = ⟨∂L/∂θₚ, τᵢₚ⟩}. The authors' code keeps λ in [0, 1]; here each step is projected
 * onto [0, 1] ({@code clamp: false} leaves λ free): entropy alone can buy confidence on one task by
 * driving another's λ negative. Heads are not merged: each task is predicted by its own model's
 * head (see {@link MergeTasks}).
 */
public final class AdaMergingNode implements NodeType<AdaMergingNode.Params> {

    public record Params(
            @Doc("task-wise (one coefficient per model) or layer-wise (one per model and trunk tensor, default)") String mode,
            @Doc("Adam steps on the coefficients, default 500") Integer steps,
            @Doc("Adam learning rate, default 0.001 (the paper's)") Double lr,
            @Doc("every coefficient's starting value, default 0.3") Double init,
            @Doc("unlabeled test examples per task (a seeded sample), default 256") Integer examples,
            @Doc("keep every coefficient in [0, 1] after each step, default true") Boolean clamp,
            @Doc("overrides the run seed for the example sample") Long seed) {
        public Params {
            if (mode == null) mode = "layer-wise";
            if (steps == null) steps = 500;
            if (lr == null) lr = 0.001;
            if (init == null) init = 0.3;
            if (examples == null) examples = 256;
            if (clamp == null) clamp = true;
            if (!mode.equals("task-wise") && !mode.equals("layer-wise")) {
                throw new IllegalArgumentException("mode must be task-wise or layer-wise, got '" + mode + "'");
            }
            if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
            if (!(lr > 0)) throw new IllegalArgumentException("lr must be > 0, got " + lr);
            if (examples < 1) throw new IllegalArgumentException("examples must be at least 1, got " + examples);
        }
    }

    @Override public String name() { return "merge.adamerging"; }
    @Override public String description() { return "Task arithmetic with task- or layer-wise coefficients learned by minimising prediction entropy on unlabeled data."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return MergeTasks.inputs(); }
    @Override public List<Port> outputs() { return MergeTasks.outputs(); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        MergeTasks in = MergeTasks.read(ctx);
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        List<Tensor> xs = new ArrayList<>();
        for (int t = 0; t < in.tasks().size(); t++) {
            xs.add(MergeTasks.sample(in.tasks().get(t).test().x(), p.examples(), seed, ctx.stream("examples/" + t)));
        }
        Objective obj = new Objective(ctx.ops(), in, xs, p.mode().equals("layer-wise"));
        Objective.Fit fit = obj.fit(p.steps(), p.lr().floatValue(), p.init().floatValue(), p.clamp(), (step, entropy) -> {
            ctx.checkCancelled();
            ctx.progress(step / (double) p.steps(), String.format(Locale.ROOT, "step %d/%d: entropy %.4f", step, p.steps(), entropy));
        });
        ctx.metric("entropy-initial", fit.entropies()[0]);
        ctx.metric("entropy-final", fit.entropies()[fit.entropies().length - 1]);
        for (int t = 0; t < in.tasks().size(); t++) {
            String head = in.tasks().get(t).mergedHead();
            if (obj.layerWise) {
                for (int k = 0; k < obj.names.size(); k++) ctx.metric("lambda." + head + "." + obj.names.get(k), fit.lambda()[t * obj.names.size() + k]);
            } else {
                ctx.metric("lambda." + head, fit.lambda()[t]);
            }
        }
        Mlp merged = in.assemble(obj.trunk(fit.lambda()));
        ctx.output("model", merged::write);
    }

    /** The summed prediction entropy as a function of λ, and its gradient. */
    static final class Objective {
        private final TensorOps ops;
        private final MergeTasks in;
        private final List<Tensor> xs;
        final boolean layerWise;
        final List<String> names;
        private final Map<String, Tensor> base = new LinkedHashMap<>();
        private final List<Map<String, Tensor>> taskVectors = new ArrayList<>();
        /** The trunk θ(λ) of the last evaluation, which {@link #model} reads. */
        private final Map<String, Tensor> work = new LinkedHashMap<>();
        private final Mlp model;

        Objective(TensorOps ops, MergeTasks in, List<Tensor> xs, boolean layerWise) {
            this.ops = ops;
            this.in = in;
            this.xs = xs;
            this.layerWise = layerWise;
            this.names = in.trunkNames();
            for (String k : names) {
                base.put(k, in.base().parameters().get(k));
                work.put(k, Tensor.zerosLike(base.get(k)));
            }
            for (MergeTasks.Task t : in.tasks()) {
                Map<String, Tensor> tau = new LinkedHashMap<>();
                for (String k : names) {
                    Tensor d = Tensor.zerosLike(base.get(k));
                    ops.sub(t.model().parameters().get(k), base.get(k), d);
                    tau.put(k, d);
                }
                taskVectors.add(tau);
            }
            this.model = in.assemble(work);
        }

        /** How many coefficients: one per task, or one per task and trunk tensor (task-major). */
        int size() { return in.tasks().size() * (layerWise ? names.size() : 1); }

        private float coefficient(float[] lambda, int task, int tensor) {
            return layerWise ? lambda[task * names.size() + tensor] : lambda[task];
        }

        /** θ₀ + Σ λ τ into the work trunk, which is returned (not a copy). */
        Map<String, Tensor> trunk(float[] lambda) {
            for (int k = 0; k < names.size(); k++) {
                Tensor w = work.get(names.get(k));
                ops.copy(base.get(names.get(k)), w);
                for (int t = 0; t < taskVectors.size(); t++) ops.axpy(coefficient(lambda, t, k), taskVectors.get(t).get(names.get(k)), w);
            }
            return work;
        }

        /** L(λ), the sum over tasks of the mean prediction entropy; its gradient into {@code grad} when not null. */
        double entropy(float[] lambda, float[] grad) {
            trunk(lambda);
            Map<String, Tensor> total = new LinkedHashMap<>();
            for (String k : names) total.put(k, Tensor.zerosLike(base.get(k)));
            Map<String, Tensor> grads = new HashMap<>();
            double loss = 0;
            for (int t = 0; t < xs.size(); t++) {
                String head = in.tasks().get(t).mergedHead();
                if (grad == null) {
                    loss += meanEntropy(model.logits(ops, xs.get(t), head), null);
                    continue;
                }
                grads.clear();
                loss += model.lossAndGradients(ops, xs.get(t), head, Objective::meanEntropy, grads);
                for (String k : names) ops.add(total.get(k), grads.get(k), total.get(k));
            }
            if (grad != null) {
                java.util.Arrays.fill(grad, 0f);
                for (int t = 0; t < taskVectors.size(); t++) {
                    for (int k = 0; k < names.size(); k++) {
                        double d = ops.dot(total.get(names.get(k)), taskVectors.get(t).get(names.get(k)));
                        grad[layerWise ? t * names.size() + k : t] += (float) d;
                    }
                }
            }
            return loss;
        }

        /**
         * The mean over rows of {@code H = −Σⱼ pⱼ log pⱼ}, p = softmax(logits), and its gradient
         * {@code ∂H/∂zⱼ = −pⱼ (log pⱼ + H)} / rows into grad; in float64 from log-softmax, so p = 0 is exact.
         * TensorOps has no log: the loss is a pass over [rows, classes], as softmax cross-entropy is.
         */
        static double meanEntropy(Tensor logits, Tensor grad) {
            int rows = logits.dim(0), c = logits.dim(1);
            float[] z = logits.data();
            double[] logp = new double[c];
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) max = Math.max(max, z[r * c + j]);
                double se = 0;
                for (int j = 0; j < c; j++) se += Math.exp(z[r * c + j] - max);
                double lse = max + Math.log(se), h = 0;
                for (int j = 0; j < c; j++) {
                    logp[j] = z[r * c + j] - lse;
                    h -= Math.exp(logp[j]) * logp[j];
                }
                sum += h;
                if (grad != null) {
                    for (int j = 0; j < c; j++) grad.data()[r * c + j] = (float) (-Math.exp(logp[j]) * (logp[j] + h) / rows);
                }
            }
            return sum / rows;
        }

        @FunctionalInterface
        interface StepListener {
            void stepDone(int step, double entropy) throws Exception;
        }

        /** The coefficients after the steps, and the entropy before each step and after the last. */
        record Fit(float[] lambda, double[] entropies) {}

        Fit fit(int steps, float lr, float init, boolean clamp, StepListener listener) throws Exception {
            Tensor lambda = Tensor.zeros(size()), g = Tensor.zeros(size()), m = Tensor.zeros(size()), v = Tensor.zeros(size());
            ops.fill(lambda, init);
            double[] entropies = new double[steps + 1];
            for (int s = 0; s < steps; s++) {
                entropies[s] = entropy(lambda.data(), g.data());
                ops.adamW(lambda, g, m, v, lr, 0.9f, 0.999f, 1e-8f, 0f, s + 1);
                if (clamp) ops.clamp(lambda, 0f, 1f, lambda);
                if (listener != null) listener.stepDone(s + 1, entropies[s]);
            }
            entropies[steps] = entropy(lambda.data(), null);
            return new Fit(lambda.data().clone(), entropies);
        }
    }
}
