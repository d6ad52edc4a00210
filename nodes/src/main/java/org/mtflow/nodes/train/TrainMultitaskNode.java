package org.mtflow.nodes.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Activation;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.MlpSpec;

/**
 * Trains one shared trunk and a head per task jointly, checkpointing every epoch like train.fit.
 * The tasks are the {@code datasets} in list order, a dataset that lists tasks (data.tasks,
 * data.synthetic) standing for each of its tasks ({@link Dataset#taskDatasets}), all with the same
 * feature count; a task's head is named after its dataset or task (task&lt;t&gt; for all when names
 * repeat), so model.predict can score a tasks dataset head by head. How the tasks' gradients combine
 * is the {@code weighting}.
 */
public final class TrainMultitaskNode implements NodeType<TrainMultitaskNode.Params> {

    public record Params(
            @Doc("hidden layer sizes of the shared trunk (at least one layer), default [128]") List<Integer> hidden,
            @Doc("relu or gelu, default relu") String activation,
            @Doc("equal, uncertainty, dwa, gradnorm, pcgrad or cagrad, default equal") String weighting,
            @Doc("gradnorm's asymmetry alpha, default 1.5") Double alpha,
            @Doc("dwa's temperature, default 2") Double temperature,
            @Doc("cagrad's c, the radius of the ball around the mean gradient relative to its norm, default 0.4") Double c,
            @Doc("sgd (with momentum) or adamw, default sgd") String optimizer,
            @Doc("base learning rate, default 0.05 for sgd, 0.001 for adamw") Double lr,
            @Doc("SGD momentum, default 0.9") Double momentum,
            @Doc("weight decay (L2 for sgd, decoupled for adamw), default 0") Double weightDecay,
            @Doc("minibatch size per task, default 64") Integer batch,
            @Doc("epochs (steps of the largest task), default 5") Integer epochs,
            @Doc("learning-rate schedule: constant, step or cosine, default constant") String schedule,
            @Doc("epochs of linear warmup, default 0") Integer warmupEpochs,
            @Doc("the step schedule's period in epochs, default max(1, epochs / 3)") Integer stepEpochs,
            @Doc("overrides the run seed for init, shuffles and pcgrad's orders") Long seed) {
        public Params {
            if (hidden == null) hidden = List.of(128);
            if (activation == null) activation = Activation.RELU.token();
            if (weighting == null) weighting = "equal";
            if (alpha == null) alpha = 1.5;
            if (temperature == null) temperature = 2.0;
            if (c == null) c = 0.4;
            Activation.of(activation);
            if (hidden.isEmpty()) throw new IllegalArgumentException("hidden must have at least one layer: the tasks share the trunk");
            for (Integer h : hidden) if (h == null || h < 1) throw new IllegalArgumentException("hidden sizes must be at least 1, got " + hidden);
            TaskWeighting.of(weighting, 2, alpha, temperature, c, org.mtflow.nodes.model.Optimizer.Kind.SGD, 0f, 0); // checked at validation
            settings(optimizer, lr, momentum, weightDecay, batch, epochs, schedule, warmupEpochs, stepEpochs);
        }

        TrainSettings settings() {
            return settings(optimizer, lr, momentum, weightDecay, batch, epochs, schedule, warmupEpochs, stepEpochs);
        }

        private static TrainSettings settings(String optimizer, Double lr, Double momentum, Double weightDecay, Integer batch,
                                              Integer epochs, String schedule, Integer warmupEpochs, Integer stepEpochs) {
            return TrainSettings.from(optimizer, lr, momentum, weightDecay, batch, epochs, schedule, warmupEpochs, stepEpochs,
                    null, null);
        }
    }

    @Override public String name() { return "train.multitask"; }
    @Override public String description() { return "Trains a shared trunk and one head per dataset jointly, with a task weighting."; }
    @Override public Class<Params> paramsType() { return Params.class; }

    @Override
    public List<Port> inputs() {
        return List.of(Port.many("datasets", "the tasks: one dataset per task, or datasets with tasks (data.tasks), all with the same features").of(Port.Kind.DATASET));
    }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("model", "the trunk and every task's head").of(Port.Kind.MODEL));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        List<Dataset> data = new ArrayList<>();
        for (var file : ctx.inputs("datasets")) data.addAll(Dataset.read(file).taskDatasets());
        if (data.isEmpty()) throw NodeException.permanent("train.multitask needs at least one dataset in 'datasets'");
        int features = data.get(0).train().x().dim(1);
        for (int t = 1; t < data.size(); t++) {
            if (data.get(t).train().x().dim(1) != features) {
                throw NodeException.permanent("dataset " + t + " has " + data.get(t).train().x().dim(1) + " features, dataset 0 has "
                        + features + ": the tasks share one trunk, so give them the same inputs");
            }
        }
        List<String> heads = headNames(data);
        Map<String, Integer> classes = new LinkedHashMap<>();
        for (int t = 0; t < data.size(); t++) classes.put(heads.get(t), TrainFitNode.classCount(data.get(t)));
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        TrainSettings settings = p.settings();
        MlpSpec spec = new MlpSpec(features, p.hidden(), Activation.of(p.activation()), classes);
        Mlp init = Mlp.init(spec, ctx.ops(), seed, ctx.stream("init"));
        TaskWeighting weighting = TaskWeighting.of(p.weighting(), data.size(), p.alpha(), p.temperature(), p.c(), settings.optimizer(),
                settings.momentum(), seed);
        MultitaskTrainer.Result r = new MultitaskTrainer(ctx.ops(), settings, seed).fit(init, heads,
                data.stream().map(Dataset::train).toList(), weighting,
                String.format(Locale.ROOT, "%s alpha=%s temperature=%s c=%s", p.weighting(), p.alpha(), p.temperature(), p.c()),
                ctx.checkpointDir(), e -> {
                    ctx.checkCancelled();
                    ctx.progress(e.epoch() / (double) e.epochs(), String.format(Locale.ROOT,
                            "epoch %d/%d: mean train loss %.4f, lr %.3g", e.epoch(), e.epochs(), e.trainLoss(), e.lr()));
                });
        ctx.metric("backend", ctx.ops().name());
        ctx.metric("weighting", p.weighting());
        for (int t = 0; t < heads.size(); t++) {
            ctx.metric("test-accuracy." + heads.get(t), Trainer.accuracy(ctx.ops(), r.model(), heads.get(t), data.get(t).test()));
            ctx.metric("train-loss." + heads.get(t), r.trainLosses()[t]);
            ctx.metric("weight." + heads.get(t), r.weights()[t]);
        }
        ctx.output("model", r.model()::write);
    }

    /** Each dataset's head name, or task0..task{T−1} for all when two would clash. */
    static List<String> headNames(List<Dataset> data) {
        List<String> names = new ArrayList<>();
        for (Dataset d : data) names.add(TrainFitNode.headName(d));
        Set<String> distinct = new LinkedHashSet<>(names);
        if (distinct.size() == names.size()) return names;
        List<String> numbered = new ArrayList<>();
        for (int t = 0; t < data.size(); t++) numbered.add("task" + t);
        return numbered;
    }
}
