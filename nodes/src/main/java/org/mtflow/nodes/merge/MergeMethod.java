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
     * Whether, with these parameters, the method may be given a tensor in pieces (1-D slots of
     * consecutive elements; rows when {@link #wholeRows}), giving the bits it gives for the whole
     * tensor, once the {@link Merger} has found over the whole tensor what the method asks for: its
     * magnitude thresholds ({@link #thresholdRanks}) and its sums ({@link #sums}). Then the Merger
     * never holds a big tensor whole. A method with some other whole-tensor step (a decomposition, a
     * sort) says no, the default.
     */
    default boolean piecewise(TensorParams params) { return false; }

    /** Whether each piece must hold whole rows (the last dimension), shaped [rows, cols]: DELLA ranks within rows. */
    default boolean wholeRows(TensorParams params) { return false; }

    /**
     * For a {@linkplain #piecewise piecewise} method: the ranks k whose k-th largest |θᵢ − θ₀| of model
     * i's n-element tensor it needs (none by default). The {@link Merger} finds them in one streaming
     * pass ({@link StreamingThreshold}) and hands them over as computed parameters.
     */
    default long[] thresholdRanks(TensorParams params, int model, long elements) { return new long[0]; }

    /**
     * The float64 sums over the whole tensor (norms, dot products, Σ|τ|) the method needs: a fresh
     * accumulator for a tensor of {@code elements} elements in rows of {@code cols} merged from
     * {@code models} models, or null (the default) for none. For a tensor merged in pieces, the
     * {@link Merger} feeds it every piece ({@link #feedSums}) before merging the first, and each piece's
     * slot carries it; a whole tensor's slot carries none, and the method finds them itself
     * ({@link #sumsOf}): the same bits either way.
     */
    default TensorSums sums(TensorParams params, int models, long elements, int cols) { return null; }

    /** Feeds a slot (a piece, or a whole tensor) to the accumulator {@link #sums} made. */
    default void feedSums(TensorOps ops, TensorSlot slot, long seed, TensorSums sums) {}

    /** The slot's sums: the Merger's for a piece, else found here over the whole tensor; null when the method needs none. */
    default TensorSums sumsOf(TensorOps ops, TensorSlot slot, long seed) {
        if (slot.sums() != null) return slot.sums();
        Tensor like = slot.models().get(0);
        TensorSums s = sums(slot.params(), slot.models().size(), like.size(), like.cols());
        if (s != null) feedSums(ops, slot, seed, s);
        return s;
    }
}
