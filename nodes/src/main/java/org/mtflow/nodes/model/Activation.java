package org.mtflow.nodes.model;

import java.util.Locale;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/** The nonlinearity after each trunk layer. */
public enum Activation {
    RELU, GELU;

    public String token() { return name().toLowerCase(Locale.ROOT); }

    public static Activation of(String token) {
        for (Activation a : values()) if (a.token().equals(token)) return a;
        throw new IllegalArgumentException("unknown activation '" + token + "': use relu or gelu");
    }

    void forward(TensorOps ops, Tensor x, Tensor out) {
        if (this == RELU) ops.relu(x, out); else ops.gelu(x, out);
    }

    void backward(TensorOps ops, Tensor x, Tensor gradOut, Tensor gradIn) {
        if (this == RELU) ops.reluBackward(x, gradOut, gradIn); else ops.geluBackward(x, gradOut, gradIn);
    }
}
