package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * A method that is the {@link TaskVectorMerge} pipeline with its choices fixed (mergekit's generalized
 * task arithmetic family): every one merges in pieces, given the thresholds and sums its
 * sparsification asks for.
 */
abstract class TaskVectorMethod implements MergeMethod {
    private final TaskVectorMerge pipeline;
    private final Set<String> parameters;

    TaskVectorMethod(TaskVectorMerge pipeline, String... extraParameters) {
        this.pipeline = pipeline;
        this.parameters = pipeline.parameters(extraParameters);
    }

    @Override public final boolean needsBase() { return true; }
    @Override public final Set<String> parameters() { return parameters; }
    @Override public final boolean piecewise(TensorParams params) { return true; }
    @Override public final boolean wholeRows(TensorParams params) { return pipeline.wholeRows(); }
    @Override public final long[] thresholdRanks(TensorParams params, int model, long elements) { return pipeline.thresholdRanks(params, model, elements); }
    @Override public final TensorSums sums(TensorParams params, int models, long elements, int cols) { return pipeline.sums(params, models, elements); }
    @Override public final void feedSums(TensorOps ops, TensorSlot slot, long seed, TensorSums sums) { pipeline.feedSums(ops, slot, seed, sums); }

    @Override
    public final Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return pipeline.merge(ops, slot, seed);
    }
}
