package org.mtflow.nodes.train;

import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Activation;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.MlpSpec;
import org.mtflow.nodes.model.Optimizer;

/**
 * Trains an MLP classifier on a dataset from seeded weights, one head named after the dataset;
 * checkpoints every epoch in the task's checkpoint directory, so a retried or resumed task goes on
 * from its last finished epoch.
 */
public final class TrainFitNode implements NodeType<TrainFitNode.Params> {

    public record Params(
            @Doc("hidden layer sizes, default [128]") List<Integer> hidden,
            @Doc("relu or gelu, default relu") String activation,
            @Doc("sgd (with momentum) or adamw, default sgd") String optimizer,
            @Doc("base learning rate, default 0.05 for sgd, 0.001 for adamw") Double lr,
            @Doc("SGD momentum, default 0.9") Double momentum,
            @Doc("weight decay (L2 for sgd, decoupled for adamw), default 0") Double weightDecay,
            @Doc("minibatch size, default 64") Integer batch,
            @Doc("epochs, default 5") Integer epochs,
            @Doc("learning-rate schedule: constant, step (x0.1 every step-epochs) or cosine, default constant") String schedule,
            @Doc("epochs of linear warmup, default 0") Integer warmupEpochs,
            @Doc("the step schedule's period in epochs, default max(1, epochs / 3)") Integer stepEpochs,
            @Doc("fraction of the training split held out for early stopping, default 0.1 with patience, else 0") Double validation,
            @Doc("stop after this many epochs without a better validation loss, default 0 (never)") Integer patience,
            @Doc("overrides the run seed for init, split and shuffles") Long seed) implements TrainingParams {
        public Params {
            if (hidden == null) hidden = List.of(128);
            if (activation == null) activation = Activation.RELU.token();
            Activation.of(activation);
            for (Integer h : hidden) if (h == null || h < 1) throw new IllegalArgumentException("hidden sizes must be at least 1, got " + hidden);
            // the numbers are checked here, when the workflow is validated, not at run time (from the arguments: the fields are set after this block)
            TrainSettings.from(optimizer, lr, momentum, weightDecay, batch, epochs, schedule, warmupEpochs, stepEpochs,
                    validation, patience);
        }
    }

    @Override public String name() { return "train.fit"; }
    @Override public String description() { return "Trains an MLP classifier on a dataset, checkpointing every epoch."; }
    @Override public Class<Params> paramsType() { return Params.class; }

    @Override
    public List<Port> inputs() {
        return List.of(Port.one("dataset", "train and test splits; labels are class indexes").of(Port.Kind.DATASET));
    }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("model", "the trained MLP (safetensors, architecture in the metadata)").of(Port.Kind.MODEL));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        Dataset data = Dataset.read(ctx.input("dataset"));
        String head = headName(data);
        int classes = classCount(data);
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        MlpSpec spec = new MlpSpec(data.train().x().dim(1), p.hidden(), Activation.of(p.activation()), Map.of(head, classes));
        Mlp init = Mlp.init(spec, ctx.ops(), seed, ctx.stream("init"));
        fit(ctx, p.settings(), init, head, data, seed);
    }

    /** Trains {@code start}'s head {@code head}, writes the model and reports the metrics: shared with train.finetune. */
    static void fit(TaskContext<?> ctx, TrainSettings settings, Mlp start, String head, Dataset data, long seed) throws Exception {
        Trainer trainer = new Trainer(ctx.ops(), settings, seed);
        Trainer.Result r = trainer.fit(start, head, data.train(), ctx.checkpointDir(), e -> {
            ctx.checkCancelled();
            ctx.progress(e.epoch() / (double) e.epochs(), String.format(java.util.Locale.ROOT,
                    "epoch %d/%d: train loss %.4f%s, lr %.3g", e.epoch(), e.epochs(), e.trainLoss(),
                    Double.isNaN(e.validationLoss()) ? "" : String.format(java.util.Locale.ROOT, ", validation loss %.4f", e.validationLoss()),
                    e.lr()));
        });
        ctx.metric("backend", ctx.ops().name());
        ctx.metric("epochs-run", r.epochsRun());
        ctx.metric("stopped-early", r.stoppedEarly());
        ctx.metric("resumed-at-epoch", r.resumedAt());
        ctx.metric("train-loss", r.trainLoss());
        if (!Double.isNaN(r.validationLoss())) ctx.metric("validation-loss", r.validationLoss());
        ctx.metric("test-accuracy", Trainer.accuracy(ctx.ops(), r.model(), head, data.test()));
        if (r.seconds() > 0 && r.samples() > 0) ctx.metric("samples-per-second", Math.round(r.samples() / r.seconds()));
        ctx.output("model", r.model()::write);
    }

    /** The head is named after the dataset (a name without dots), so models of several datasets can share a trunk. */
    static String headName(Dataset data) {
        return data.name() == null || data.name().isBlank() ? "main" : data.name().replace('.', '-');
    }

    /** The dataset's class names, or more when its labels go beyond them. */
    static int classCount(Dataset data) throws NodeException {
        return Math.max(data.classes().size(), maxLabel(data) + 1);
    }

    private static int maxLabel(Dataset data) throws NodeException {
        int max = -1;
        for (Dataset.Split s : data.splits().values()) {
            for (float y : s.y().data()) {
                if (y < 0 || y != Math.rint(y)) throw NodeException.permanent("dataset label " + y + " is not a class index");
                max = Math.max(max, (int) y);
            }
        }
        return max;
    }
}
