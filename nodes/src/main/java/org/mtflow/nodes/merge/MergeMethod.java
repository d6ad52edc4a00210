package org.mtflow.nodes.merge;

import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * A data-free merge method, defined tensor by tensor: the merged model's tensor of a name is a
 * function of that name's tensor in the base model and in each model, and of the parameters resolved
 * for it. Defining methods this way is what lets a merge stream checkpoints one tensor at a time and
 * spread the tensors over devices and nodes. One class per method, listed in {@link MergeMethods}.
 */
public interface MergeMethod {

    /** The method's name, as in {@code merge.<name>} (e.g. {@code ties}, {@code dare-ties}). */
    String name();

    /** Whether the method needs a base model (task vectors are {@code model − base}). */
    boolean needsBase();

    /**
     * The parameter names the method reads (mergekit's names), per-model and method-wide alike: a
     * merge that sets any other name is rejected before it runs, naming the ones this method knows.
     */
    java.util.Set<String> parameters();

    /**
     * The merged tensor for one slot. Must not modify the slot's tensors. Randomness (DARE's drops) is
     * keyed by {@code seed} and the slot's name and model index, so a tensor's result never depends on
     * which other tensors were merged, in which order, or where.
     */
    Tensor merge(TensorOps ops, TensorSlot slot, long seed);

    /**
     * Whether merged element i depends only on element i of the inputs and on the slot's parameters:
     * such a method may be given a tensor in pieces (1-D slots of consecutive elements), and must then
     * give the same bits as for the whole tensor. Methods with a per-tensor statistic (a top-k
     * threshold, a norm, an angle) or keyed random drops are not.
     */
    default boolean elementwise() { return false; }

    /**
     * Whether, with these parameters, the method is elementwise once each model's magnitude threshold
     * for the tensor is known (TIES without rescale; DARE, whose drops are keyed by element index, needs
     * none): the {@link Merger} then finds the thresholds of a method reading {@code topk} in a streaming
     * pass ({@link StreamingThreshold}) and merges the tensor in pieces.
     */
    default boolean elementwiseGivenThresholds(TensorParams params) { return false; }

    /**
     * For a method {@linkplain #elementwiseGivenThresholds elementwise given thresholds}: the ranks k
     * whose k-th largest |θᵢ − θ₀| of model i's n-element tensor it needs (none by default). The
     * {@link Merger} finds them in one streaming pass and hands them over as computed parameters.
     */
    default long[] thresholdRanks(TensorParams params, int model, long elements) { return new long[0]; }
}
