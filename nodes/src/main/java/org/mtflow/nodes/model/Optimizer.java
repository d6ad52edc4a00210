package org.mtflow.nodes.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * SGD with momentum or AdamW over a model's parameters, through the fused optimizer ops. Its state
 * (velocity, or first and second moments, and the step count) is saved with a checkpoint so that a
 * resumed run takes the same steps as an uninterrupted one.
 */
public final class Optimizer {
    public enum Kind {
        SGD, ADAMW;

        public String token() { return name().toLowerCase(Locale.ROOT); }

        public static Kind of(String token) {
            for (Kind k : values()) if (k.token().equals(token)) return k;
            throw new IllegalArgumentException("unknown optimizer '" + token + "': use sgd or adamw");
        }
    }

    static final float BETA1 = 0.9f, BETA2 = 0.999f, EPS = 1e-8f;

    private final Kind kind;
    private final float momentum;
    private final float weightDecay;
    /** {@code velocity.<param>} for SGD, {@code m.<param>} and {@code v.<param>} for AdamW. */
    private final Map<String, Tensor> state = new LinkedHashMap<>();
    private int steps;

    public Optimizer(Kind kind, float momentum, float weightDecay) {
        this.kind = kind;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    public int steps() { return steps; }

    /** One step with learning rate {@code lr} for every parameter that has a gradient. */
    public void step(TensorOps ops, Map<String, Tensor> params, Map<String, Tensor> grads, float lr) {
        steps++;
        for (var e : params.entrySet()) {
            Tensor g = grads.get(e.getKey());
            if (g == null) continue;
            Tensor p = e.getValue();
            if (kind == Kind.SGD) {
                ops.sgdMomentum(p, g, slot("velocity.", e.getKey(), p), lr, momentum, weightDecay, false);
            } else {
                ops.adamW(p, g, slot("m.", e.getKey(), p), slot("v.", e.getKey(), p), lr, BETA1, BETA2, EPS, weightDecay, steps);
            }
        }
    }

    private Tensor slot(String prefix, String param, Tensor like) {
        return state.computeIfAbsent(prefix + param, k -> Tensor.zerosLike(like));
    }

    /** The state tensors by name (for a checkpoint). */
    public Map<String, Tensor> state() { return java.util.Collections.unmodifiableMap(state); }

    /** Restores what {@link #state()} and {@link #steps()} gave. */
    public void restore(Map<String, Tensor> saved, int savedSteps) {
        state.clear();
        state.putAll(saved);
        steps = savedSteps;
    }
}
