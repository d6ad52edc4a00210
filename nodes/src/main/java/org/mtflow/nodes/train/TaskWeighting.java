package org.mtflow.nodes.train;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.nodes.model.Optimizer;

/**
 * How multi-task training turns the tasks' gradients into one step: each task's minibatch gives a
 * loss and the gradients of the shared trunk and of its own head; a weighting combines them.
 */
public sealed interface TaskWeighting permits EqualWeighting, UncertaintyWeighting, DwaWeighting, GradNormWeighting, PcGradWeighting,
        CaGradWeighting {

    /** Called before each epoch with the mean training loss per task of every epoch finished so far. */
    default void beforeEpoch(List<double[]> epochLosses) {}

    /**
     * Puts the combined gradient of every parameter into {@code out}.
     *
     * @param losses  each task's minibatch loss
     * @param grads   each task's gradients by parameter name (the trunk's and its head's)
     * @param shared  the names of the shared (trunk) parameters, in layer order
     * @param lr      this step's learning rate, for weightings that learn their weights
     * @param step    the global step, for weightings that draw random numbers
     */
    void combine(TensorOps ops, double[] losses, List<Map<String, Tensor>> grads, List<String> shared, float lr, long step,
                 Map<String, Tensor> out);

    /** Learned state as tensors, for a checkpoint (none by default). */
    default Map<String, Tensor> stateTensors() { return Map.of(); }

    /** Learned state as exact numbers, for a checkpoint (none by default). */
    default double[] stateNumbers() { return new double[0]; }

    /** Restores what {@link #stateTensors()} and {@link #stateNumbers()} gave. */
    default void restore(Map<String, Tensor> tensors, double[] numbers) {}

    /** The current task weights (what the metrics report). */
    double[] weights();

    /** The weighting a node's {@code weighting} param names. */
    static TaskWeighting of(String token, int tasks, double alpha, double temperature, double c, Optimizer.Kind optimizer,
                            float momentum, long seed) {
        return switch (token == null ? "equal" : token.toLowerCase(Locale.ROOT)) {
            case "equal" -> new EqualWeighting(tasks);
            case "uncertainty" -> new UncertaintyWeighting(tasks, optimizer, momentum);
            case "dwa" -> new DwaWeighting(tasks, temperature);
            case "gradnorm" -> new GradNormWeighting(tasks, alpha);
            case "pcgrad" -> new PcGradWeighting(tasks, seed);
            case "cagrad" -> new CaGradWeighting(tasks, c);
            default -> throw new IllegalArgumentException("unknown weighting '" + token
                    + "': use equal, uncertainty, dwa, gradnorm, pcgrad or cagrad");
        };
    }

    /** out[name] = Σ_t w_t · grads_t[name] over the tasks that have a gradient of that name. */
    static void weightedSum(TensorOps ops, double[] w, List<Map<String, Tensor>> grads, Map<String, Tensor> out) {
        for (int t = 0; t < grads.size(); t++) {
            for (var e : grads.get(t).entrySet()) {
                Tensor acc = out.computeIfAbsent(e.getKey(), k -> Tensor.zerosLike(e.getValue()));
                ops.axpy((float) w[t], e.getValue(), acc);
            }
        }
    }
}
