package org.mtflow.nodes.train;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.Optimizer;

/**
 * Joint training of a shared trunk and one head per task: every step takes one minibatch of each
 * task's training split, computes that task's loss and gradients through its head, and lets a
 * {@link TaskWeighting} combine them into one optimizer step. An epoch is as many steps as the
 * largest task needs; smaller tasks wrap around their shuffled order. Shuffles are Philox draws
 * keyed by the seed, task and epoch.
 */
final class MultitaskTrainer {
    private final TensorOps ops;
    private final TrainSettings settings;
    private final long seed;

    record Result(Mlp model, double[] trainLosses, double[] weights, int epochs) {}

    MultitaskTrainer(TensorOps ops, TrainSettings settings, long seed) {
        this.ops = ops;
        this.settings = settings;
        this.seed = seed;
    }

    Result fit(Mlp start, List<String> heads, List<Dataset.Split> train, TaskWeighting weighting, Trainer.Listener listener)
            throws Exception {
        int tasks = heads.size();
        Trainer rows = new Trainer(ops, settings, seed);
        int largest = train.stream().mapToInt(Dataset.Split::size).max().orElse(0);
        int stepsPerEpoch = (largest + settings.batch() - 1) / settings.batch();
        List<int[]> labels = new ArrayList<>();
        for (Dataset.Split s : train) labels.add(Trainer.labels(s.y()));
        List<String> shared = new ArrayList<>();
        for (String name : start.parameters().keySet()) if (name.startsWith("trunk.")) shared.add(name);

        Mlp model = start.copy();
        Optimizer opt = new Optimizer(settings.optimizer(), settings.momentum(), settings.weightDecay());
        List<double[]> history = new ArrayList<>();
        double[] epochLoss = new double[tasks];
        for (int e = 0; e < settings.epochs(); e++) {
            weighting.beforeEpoch(List.copyOf(history));
            List<int[]> order = new ArrayList<>();
            for (int t = 0; t < tasks; t++) {
                order.add(rows.permutation(train.get(t).size(),
                        Philox.stream("multitask", "shuffle", Integer.toString(t), Integer.toString(e))));
            }
            epochLoss = new double[tasks];
            float lr = 0;
            for (int s = 0; s < stepsPerEpoch; s++) {
                lr = settings.schedule().rate(settings.lr(), (long) e * stepsPerEpoch + s, stepsPerEpoch, settings.epochs(),
                        settings.warmupEpochs(), settings.stepEpochs());
                double[] losses = new double[tasks];
                List<Map<String, Tensor>> grads = new ArrayList<>();
                for (int t = 0; t < tasks; t++) {
                    int[] o = order.get(t);
                    int n = Math.min(settings.batch(), o.length);
                    int[] picked = new int[n];
                    int[] y = new int[n];
                    for (int i = 0; i < n; i++) {
                        picked[i] = o[(s * settings.batch() + i) % o.length];
                        y[i] = labels.get(t)[picked[i]];
                    }
                    Map<String, Tensor> g = new HashMap<>();
                    losses[t] = model.lossAndGradients(ops, Trainer.gather(train.get(t).x(), picked, 0, n), y, heads.get(t), g);
                    grads.add(g);
                    epochLoss[t] += losses[t] / stepsPerEpoch;
                }
                Map<String, Tensor> combined = new LinkedHashMap<>();
                weighting.combine(ops, losses, grads, shared, lr, (long) e * stepsPerEpoch + s, combined);
                opt.step(ops, model.parameters(), combined, lr);
            }
            history.add(epochLoss);
            double mean = 0;
            for (double l : epochLoss) mean += l / tasks;
            if (listener != null) listener.epochDone(new Trainer.Epoch(e + 1, settings.epochs(), mean, Double.NaN, lr));
        }
        return new Result(model, epochLoss, weighting.weights(), settings.epochs());
    }
}
