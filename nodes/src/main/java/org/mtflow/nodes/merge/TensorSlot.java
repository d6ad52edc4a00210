package org.mtflow.nodes.merge;

import java.util.List;
import org.mtflow.kernels.Tensor;

/**
 * One tensor to merge: its name, the base model's tensor (null for methods without a base), each
 * model's tensor in the order the models are listed (all the same shape, as float32), and the
 * parameter values resolved for this tensor. A piece of a tensor (merged in pieces) is 1-D, or
 * [rows, cols] for a method that needs {@linkplain MergeMethod#wholeRows whole rows}, and starts at
 * element {@code offset} of the tensor, which keys DARE's and DELLA's draws (0 for a whole tensor);
 * it carries the whole tensor's {@link MergeMethod#sums sums} when the method asks for some (a whole
 * tensor's slot carries none).
 */
public record TensorSlot(String name, Tensor base, List<Tensor> models, TensorParams params, long offset, TensorSums sums) {
    public TensorSlot {
        models = List.copyOf(models);
    }

    /** A whole tensor. */
    public TensorSlot(String name, Tensor base, List<Tensor> models, TensorParams params) {
        this(name, base, models, params, 0, null);
    }
}
