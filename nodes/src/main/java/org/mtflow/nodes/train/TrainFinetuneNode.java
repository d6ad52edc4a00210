package org.mtflow.nodes.train;

import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Mlp;

/**
 * Fine-tunes a base model on one task: the base's trunk, plus the dataset's head (the base's own
 * when it has one of that name and class count, else a freshly initialised one), trained on the
 * dataset. The output holds the trunk and that one head. Checkpoints like train.fit.
 */
public final class TrainFinetuneNode implements NodeType<TrainFinetuneNode.Params> {

    public record Params(
            @Doc("sgd (with momentum) or adamw, default sgd") String optimizer,
            @Doc("base learning rate, default 0.05 for sgd, 0.001 for adamw") Double lr,
            @Doc("SGD momentum, default 0.9") Double momentum,
            @Doc("weight decay (L2 for sgd, decoupled for adamw), default 0") Double weightDecay,
            @Doc("minibatch size, default 64") Integer batch,
            @Doc("epochs, default 5") Integer epochs,
            @Doc("learning-rate schedule: constant, step or cosine, default constant") String schedule,
            @Doc("epochs of linear warmup, default 0") Integer warmupEpochs,
            @Doc("the step schedule's period in epochs, default max(1, epochs / 3)") Integer stepEpochs,
            @Doc("fraction of the training split held out for early stopping, default 0.1 with patience, else 0") Double validation,
            @Doc("stop after this many epochs without a better validation loss, default 0 (never)") Integer patience,
            @Doc("overrides the run seed for the head's init, split and shuffles") Long seed,
            @Doc("keep the base's other heads, unchanged, in the output (default false): fine-tunes of one multi-task base "
                    + "then share every tensor name, as the data-free merges need; the base must have the task's head") Boolean keepHeads)
            implements TrainingParams {
        public Params {
            TrainSettings.from(optimizer, lr, momentum, weightDecay, batch, epochs, schedule, warmupEpochs, stepEpochs,
                    validation, patience); // checked when the workflow is validated
        }
    }

    @Override public String name() { return "train.finetune"; }
    @Override public String description() { return "Fine-tunes a base model's trunk with one task's head on a dataset."; }
    @Override public Class<Params> paramsType() { return Params.class; }

    @Override
    public List<Port> inputs() {
        return List.of(Port.one("base", "the model whose trunk to start from").of(Port.Kind.MODEL),
                Port.one("dataset", "the task's train and test splits").of(Port.Kind.DATASET));
    }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("model", "the trunk and the task's head").of(Port.Kind.MODEL));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Mlp base = Mlp.read(ctx.input("base"));
        Dataset data = Dataset.read(ctx.input("dataset"));
        if (data.train().x().dim(1) != base.spec().inputs()) {
            throw NodeException.permanent("the base model takes " + base.spec().inputs() + " features, the dataset has "
                    + data.train().x().dim(1) + ": fine-tune on a dataset of the base's inputs");
        }
        String head = TrainFitNode.headName(data);
        int classes = TrainFitNode.classCount(data);
        long seed = ctx.params().seed() != null ? ctx.params().seed() : ctx.seed();
        Integer baseClasses = base.spec().heads().get(head);
        if (Boolean.TRUE.equals(ctx.params().keepHeads())) {
            if (baseClasses == null || baseClasses != classes) {
                throw NodeException.permanent("keep-heads needs the base to have a head '" + head + "' of " + classes + " classes; it has "
                        + base.spec().heads() + ": train the base on this task too (train.multitask), or drop keep-heads");
            }
            ctx.metric("head", "from the base, other heads kept");
            TrainFitNode.fit(ctx, ctx.params().settings(), base, head, data, seed); // heads without gradients stay as they are
            return;
        }
        Mlp start = base.withHeads(Map.of(head, classes), ctx.ops(), seed, ctx.stream("init"));
        if (baseClasses != null && baseClasses == classes) start = base.keepingHead(head);
        ctx.metric("head", baseClasses != null && baseClasses == classes ? "from the base" : "new");
        TrainFitNode.fit(ctx, ctx.params().settings(), start, head, data, seed);
    }
}
