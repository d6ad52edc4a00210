package org.mtflow.nodes.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.io.AtomicFiles;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.Optimizer;

/**
 * Joint training of a shared trunk and one head per task: every step takes one minibatch of each
 * task's training split, computes that task's loss and gradients through its head, and lets a
 * {@link TaskWeighting} combine them into one optimizer step. An epoch is as many steps as the
 * largest task needs; smaller tasks wrap around their shuffled order. Shuffles are Philox draws
 * keyed by the seed, task and epoch, so a checkpoint (weights, optimizer and weighting state, loss
 * history, epoch; written after every epoch) is all a resumed run needs to end bit-identical.
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

    /**
     * Trains every head of {@code start} (not modified) jointly; with a {@code checkpoints} directory,
     * resumes from the checkpoint there when it was made with the same settings, seed, architecture
     * and {@code weightingKey} (the weighting and its params), and writes one after every epoch.
     */
    Result fit(Mlp start, List<String> heads, List<Dataset.Split> train, TaskWeighting weighting, String weightingKey,
               Path checkpoints, Trainer.Listener listener) throws Exception {
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
        String fingerprint = settings.fingerprint() + " seed=" + seed + " heads=" + heads + " weighting=" + weightingKey
                + " architecture=" + start.spec().toJson();
        Path file = checkpoints == null ? null : checkpoints.resolve(Trainer.CHECKPOINT);
        int first = 0;
        if (file != null && Files.isRegularFile(file)) first = restore(file, fingerprint, model, opt, weighting, history);
        if (!history.isEmpty()) epochLoss = history.get(history.size() - 1);
        for (int e = first; e < settings.epochs(); e++) {
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
            if (file != null) save(file, fingerprint, model, opt, weighting, history);
            double mean = 0;
            for (double l : epochLoss) mean += l / tasks;
            if (listener != null) listener.epochDone(new Trainer.Epoch(e + 1, settings.epochs(), mean, Double.NaN, lr));
        }
        return new Result(model, epochLoss, weighting.weights(), settings.epochs());
    }

    private static final String OPT = "optimizer.", WEIGHTING = "weighting.";

    private static void save(Path file, String fingerprint, Mlp model, Optimizer opt, TaskWeighting weighting,
                             List<double[]> history) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>(model.parameters());
        opt.state().forEach((k, t) -> tensors.put(OPT + k, t));
        weighting.stateTensors().forEach((k, t) -> tensors.put(WEIGHTING + k, t));
        Map<String, String> meta = new LinkedHashMap<>(model.metadata());
        meta.put("trainer", fingerprint);
        meta.put("epoch", Integer.toString(history.size()));
        meta.put("optimizer-steps", Integer.toString(opt.steps()));
        // doubles as their exact decimal text: a resumed run must see the very same numbers
        meta.put("loss-history", String.join(";", history.stream().map(MultitaskTrainer::numbers).toList()));
        meta.put("weighting-state", numbers(weighting.stateNumbers()));
        AtomicFiles.write(file, out -> Safetensors.write(out, tensors, meta));
    }

    /** Loads a checkpoint made under {@code fingerprint}; returns its epoch count, or 0 (nothing loaded) for another's. */
    private static int restore(Path file, String fingerprint, Mlp model, Optimizer opt, TaskWeighting weighting,
                               List<double[]> history) throws IOException {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            Map<String, String> meta = r.metadata();
            if (!fingerprint.equals(meta.get("trainer"))) return 0;
            Mlp saved = Mlp.read(r);
            saved.parameters().forEach((k, t) -> System.arraycopy(t.data(), 0, model.parameters().get(k).data(), 0, t.size()));
            Map<String, Tensor> optState = new LinkedHashMap<>(), weightingState = new LinkedHashMap<>();
            for (String name : r.entries().keySet()) {
                if (name.startsWith(OPT)) optState.put(name.substring(OPT.length()), r.read(name));
                if (name.startsWith(WEIGHTING)) weightingState.put(name.substring(WEIGHTING.length()), r.read(name));
            }
            opt.restore(optState, Integer.parseInt(meta.get("optimizer-steps")));
            weighting.restore(weightingState, parse(meta.get("weighting-state")));
            for (String epoch : meta.get("loss-history").split(";")) history.add(parse(epoch));
            return Integer.parseInt(meta.get("epoch"));
        }
    }

    private static String numbers(double[] v) {
        return String.join(",", java.util.Arrays.stream(v).mapToObj(Double::toString).toList());
    }

    private static double[] parse(String text) {
        return text.isEmpty() ? new double[0] : java.util.Arrays.stream(text.split(",")).mapToDouble(Double::parseDouble).toArray();
    }
}
