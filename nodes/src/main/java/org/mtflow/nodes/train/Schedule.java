package org.mtflow.nodes.train;

import java.util.Locale;

/** How the learning rate moves over training, after a linear warmup. */
public enum Schedule {
    /** The base rate throughout. */
    CONSTANT,
    /** The base rate times 0.1 every {@code stepEpochs} epochs after the warmup. */
    STEP,
    /** Half a cosine from the base rate down to 0 at the last step. */
    COSINE;

    public String token() { return name().toLowerCase(Locale.ROOT); }

    public static Schedule of(String token) {
        for (Schedule s : values()) if (s.token().equals(token)) return s;
        throw new IllegalArgumentException("unknown schedule '" + token + "': use constant, step or cosine");
    }

    /**
     * The rate of global step {@code step} (from 0) of {@code epochs × stepsPerEpoch}; the first
     * {@code warmupEpochs × stepsPerEpoch} steps ramp linearly up to {@code base}.
     */
    public float rate(float base, long step, int stepsPerEpoch, int epochs, int warmupEpochs, int stepEpochs) {
        long warmup = (long) warmupEpochs * stepsPerEpoch;
        if (step < warmup) return (float) (base * (step + 1) / (double) warmup);
        long total = (long) epochs * stepsPerEpoch;
        return switch (this) {
            case CONSTANT -> base;
            case STEP -> (float) (base * Math.pow(0.1, (step - warmup) / stepsPerEpoch / Math.max(1, stepEpochs)));
            case COSINE -> (float) (base * 0.5 * (1 + Math.cos(Math.PI * (step - warmup) / (double) Math.max(1, total - warmup))));
        };
    }
}
