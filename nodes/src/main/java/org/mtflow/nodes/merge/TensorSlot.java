package org.mtflow.nodes.merge;

import java.util.List;
import org.mtflow.kernels.Tensor;

/**
 * One tensor to merge: its name, the base model's tensor (null for methods without a base), each
 * model's tensor in the order the models are listed (all the same shape, as float32), and the
 * parameter values resolved for this tensor.
 */
public record TensorSlot(String name, Tensor base, List<Tensor> models, TensorParams params) {
    public TensorSlot {
        models = List.copyOf(models);
    }
}
