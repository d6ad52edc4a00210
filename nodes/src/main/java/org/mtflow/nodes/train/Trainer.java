package org.mtflow.nodes.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * Minibatch training of one head of an {@link Mlp} on a dataset's training split, with a
 * checkpoint after every epoch so that a killed run goes on from its last finished epoch and ends
 * with the same weights as one that was never interrupted.
 *
 * <p>Every random choice is a Philox draw keyed by the seed and a purpose: the validation split by
 * {@code split}, epoch e's shuffle by {@code shuffle/e}. So the random position of a resumed run is
 * its epoch number alone, and a checkpoint needs no generator state beyond it.
 */
public final class Trainer {
    static final String CHECKPOINT = "checkpoint.safetensors";
    private static final String OPT = "optimizer.";
    private static final int EVAL_BATCH = 1024;

    private final TensorOps ops;
    private final TrainSettings settings;
    private final long seed;

    /** What an epoch ended with, for progress reports. */
    public record Epoch(int epoch, int epochs, double trainLoss, double validationLoss, float lr) {}

    /** Told after each epoch's checkpoint is on disk. */
    @FunctionalInterface
    public interface Listener {
        void epochDone(Epoch e) throws Exception;
    }

    /**
     * @param epochsRun      epochs done in all, counting those before a resume
     * @param resumedAt      the epoch count the checkpoint had when this call started (0 for a fresh run)
     * @param samples        training examples processed by this call
     * @param seconds        this call's training time
     */
    public record Result(Mlp model, int epochsRun, double trainLoss, double validationLoss, boolean stoppedEarly,
                         int resumedAt, long samples, double seconds) {}

    public Trainer(TensorOps ops, TrainSettings settings, long seed) {
        this.ops = ops;
        this.settings = settings;
        this.seed = seed;
    }

    /**
     * Trains {@code head} of {@code start} (not modified) on {@code train}; with a {@code checkpoints}
     * directory, resumes from the checkpoint there when it was made with the same settings, seed and
     * architecture, and writes one after every epoch.
     */
    public Result fit(Mlp start, String head, Dataset.Split train, Path checkpoints, Listener listener) throws Exception {
        int n = train.size();
        int[] order = permutation(n, Philox.stream("train", "split"));
        int held = (int) Math.round(settings.validation() * n);
        if (n - held < 1) throw new IllegalArgumentException("no training examples left after holding out " + held + " of " + n);
        int[] valRows = java.util.Arrays.copyOfRange(order, 0, held);
        int[] trainRows = java.util.Arrays.copyOfRange(order, held, n);
        int[] labels = labels(train.y());
        int stepsPerEpoch = (trainRows.length + settings.batch() - 1) / settings.batch();

        Mlp model = start.copy();
        Optimizer opt = new Optimizer(settings.optimizer(), settings.momentum(), settings.weightDecay());
        State state = new State(0, Double.NaN, Double.POSITIVE_INFINITY, 0, Double.NaN);
        Path file = checkpoints == null ? null : checkpoints.resolve(CHECKPOINT);
        if (file != null && Files.isRegularFile(file)) {
            State saved = restore(file, model, opt, head);
            if (saved != null) state = saved;
        }
        int resumedAt = state.epoch;
        long samples = 0;
        long begin = System.nanoTime();
        boolean stopped = settings.patience() > 0 && state.badEpochs >= settings.patience();
        Map<String, Tensor> grads = new HashMap<>();
        while (!stopped && state.epoch < settings.epochs()) {
            int e = state.epoch;
            int[] shuffled = permuted(trainRows, Philox.stream("train", "shuffle", Integer.toString(e)));
            double lossSum = 0;
            float lr = 0;
            for (int s = 0; s < stepsPerEpoch; s++) {
                int from = s * settings.batch(), to = Math.min(shuffled.length, from + settings.batch());
                Tensor x = gather(train.x(), shuffled, from, to);
                int[] y = new int[to - from];
                for (int i = from; i < to; i++) y[i - from] = labels[shuffled[i]];
                grads.clear();
                lossSum += model.lossAndGradients(ops, x, y, head, grads) * (to - from);
                lr = settings.schedule().rate(settings.lr(), (long) e * stepsPerEpoch + s, stepsPerEpoch, settings.epochs(),
                        settings.warmupEpochs(), settings.stepEpochs());
                opt.step(ops, model.parameters(), grads, lr);
                samples += to - from;
            }
            double trainLoss = lossSum / shuffled.length;
            double valLoss = held == 0 ? Double.NaN : loss(model, head, train.x(), labels, valRows);
            boolean better = held > 0 && valLoss < state.bestValidation;
            state = new State(e + 1, trainLoss, better ? valLoss : state.bestValidation,
                    held == 0 || better ? 0 : state.badEpochs + 1, valLoss);
            if (file != null) save(file, model, opt, head, state);
            if (listener != null) listener.epochDone(new Epoch(e + 1, settings.epochs(), trainLoss, valLoss, lr));
            stopped = settings.patience() > 0 && state.badEpochs >= settings.patience();
        }
        double seconds = (System.nanoTime() - begin) / 1e9;
        return new Result(model, state.epoch, state.trainLoss, state.validationLoss, stopped, resumedAt, samples, seconds);
    }

    /** What a checkpoint holds besides the weights and the optimizer. */
    private record State(int epoch, double trainLoss, double bestValidation, int badEpochs, double validationLoss) {}

    private String fingerprint(Mlp model, String head) {
        return settings.fingerprint() + " seed=" + seed + " head=" + head + " architecture=" + model.spec().toJson();
    }

    private void save(Path file, Mlp model, Optimizer opt, String head, State s) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>(model.parameters());
        opt.state().forEach((k, t) -> tensors.put(OPT + k, t));
        Map<String, String> meta = new LinkedHashMap<>(model.metadata());
        meta.put("trainer", fingerprint(model, head));
        meta.put("epoch", Integer.toString(s.epoch));
        meta.put("optimizer-steps", Integer.toString(opt.steps()));
        meta.put("train-loss", Double.toString(s.trainLoss));
        meta.put("best-validation-loss", Double.toString(s.bestValidation));
        meta.put("bad-epochs", Integer.toString(s.badEpochs));
        meta.put("validation-loss", Double.toString(s.validationLoss));
        AtomicFiles.write(file, out -> Safetensors.write(out, tensors, meta));
    }

    /** Loads a checkpoint into model and opt; null (and nothing loaded) when it was made for other settings. */
    private State restore(Path file, Mlp model, Optimizer opt, String head) throws IOException {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            Map<String, String> meta = r.metadata();
            if (!fingerprint(model, head).equals(meta.get("trainer"))) return null;
            Mlp saved = Mlp.read(r);
            saved.parameters().forEach((k, t) -> System.arraycopy(t.data(), 0, model.parameters().get(k).data(), 0, t.size()));
            Map<String, Tensor> state = new LinkedHashMap<>();
            for (String name : r.entries().keySet()) {
                if (name.startsWith(OPT)) state.put(name.substring(OPT.length()), r.read(name));
            }
            opt.restore(state, Integer.parseInt(meta.get("optimizer-steps")));
            return new State(Integer.parseInt(meta.get("epoch")), Double.parseDouble(meta.get("train-loss")),
                    Double.parseDouble(meta.get("best-validation-loss")), Integer.parseInt(meta.get("bad-epochs")),
                    Double.parseDouble(meta.get("validation-loss")));
        }
    }

    /** Mean cross-entropy of the model over the given rows. */
    public double loss(Mlp model, String head, Tensor x, int[] labels, int[] rows) {
        double sum = 0;
        for (int from = 0; from < rows.length; from += EVAL_BATCH) {
            int to = Math.min(rows.length, from + EVAL_BATCH);
            int[] y = new int[to - from];
            for (int i = from; i < to; i++) y[i - from] = labels[rows[i]];
            sum += ops.softmaxCrossEntropy(model.logits(ops, gather(x, rows, from, to), head), y, null) * (to - from);
        }
        return sum / rows.length;
    }

    /** The fraction of a split's examples whose largest logit is their label. */
    public static double accuracy(TensorOps ops, Mlp model, String head, Dataset.Split split) {
        int[] labels = labels(split.y());
        int[] all = new int[split.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        long correct = 0;
        for (int from = 0; from < all.length; from += EVAL_BATCH) {
            int to = Math.min(all.length, from + EVAL_BATCH);
            int[] predicted = new int[to - from];
            ops.argmaxRows(model.logits(ops, gather(split.x(), all, from, to), head), predicted);
            for (int i = from; i < to; i++) if (predicted[i - from] == labels[i]) correct++;
        }
        return all.length == 0 ? Double.NaN : correct / (double) all.length;
    }

    static int[] labels(Tensor y) {
        int[] out = new int[y.size()];
        for (int i = 0; i < out.length; i++) out[i] = (int) y.data()[i];
        return out;
    }

    /** Rows {@code rows[from..to)} of x as a new [to − from, cols] tensor. */
    static Tensor gather(Tensor x, int[] rows, int from, int to) {
        int cols = x.dim(1);
        float[] out = new float[(to - from) * cols];
        for (int i = from; i < to; i++) System.arraycopy(x.data(), rows[i] * cols, out, (i - from) * cols, cols);
        return Tensor.of(out, to - from, cols);
    }

    /** 0..n−1 shuffled by Fisher–Yates with Philox draws of (seed, stream). */
    int[] permutation(int n, long stream) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return permuted(p, stream);
    }

    int[] permuted(int[] items, long stream) {
        int[] p = items.clone();
        for (int i = p.length - 1; i > 0; i--) {
            int j = (int) (((Philox.bits(seed, stream, i) & 0xFFFFFFFFL) * (i + 1)) >>> 32);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
