package org.mtflow.nodes.train;

import org.mtflow.nodes.model.Optimizer;

/**
 * How to train: optimizer and its hyperparameters, minibatch size, epochs, learning-rate schedule,
 * early stopping on a validation slice of the training split.
 *
 * @param validation the fraction of the training split held out (seeded) for early stopping
 * @param patience   stop after this many epochs without a better validation loss; 0 never stops early
 */
public record TrainSettings(Optimizer.Kind optimizer, float lr, float momentum, float weightDecay, int batch, int epochs,
                            Schedule schedule, int warmupEpochs, int stepEpochs, double validation, int patience) {
    public TrainSettings {
        if (lr <= 0 || !Float.isFinite(lr)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (batch < 1) throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        if (epochs < 1) throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        if (warmupEpochs < 0 || warmupEpochs > epochs) {
            throw new IllegalArgumentException("warmup-epochs must be in [0, epochs], got " + warmupEpochs);
        }
        if (validation < 0 || validation >= 1) throw new IllegalArgumentException("validation must be in [0, 1), got " + validation);
        if (patience < 0) throw new IllegalArgumentException("patience must be at least 0, got " + patience);
        if (patience > 0 && validation == 0) throw new IllegalArgumentException("patience needs a validation fraction above 0");
    }

    /**
     * Settings from node params, where null means the default: sgd, lr 0.05 for sgd and 0.001 for
     * adamw, momentum 0.9, no weight decay, batch 64, 5 epochs, constant schedule, no warmup, step
     * period max(1, epochs / 3), validation 0.1 with patience else 0, patience 0.
     */
    public static TrainSettings from(String optimizer, Double lr, Double momentum, Double weightDecay, Integer batch,
                                     Integer epochs, String schedule, Integer warmupEpochs, Integer stepEpochs,
                                     Double validation, Integer patience) {
        Optimizer.Kind kind = optimizer == null ? Optimizer.Kind.SGD : Optimizer.Kind.of(optimizer);
        int e = epochs == null ? 5 : epochs;
        int pat = patience == null ? 0 : patience;
        return new TrainSettings(kind, (float) (lr != null ? lr : kind == Optimizer.Kind.SGD ? 0.05 : 0.001),
                momentum == null ? 0.9f : momentum.floatValue(), weightDecay == null ? 0f : weightDecay.floatValue(),
                batch == null ? 64 : batch, e, schedule == null ? Schedule.CONSTANT : Schedule.of(schedule),
                warmupEpochs == null ? 0 : warmupEpochs, stepEpochs == null ? Math.max(1, e / 3) : stepEpochs,
                validation != null ? validation : pat > 0 ? 0.1 : 0.0, pat);
    }

    /** A stable text of these settings: a checkpoint made under other settings is not resumed. */
    String fingerprint() { return toString(); }
}
