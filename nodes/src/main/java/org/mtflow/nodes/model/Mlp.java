package org.mtflow.nodes.model;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.random.Philox;

/**
 * A multi-layer perceptron with a shared trunk and one head per task, computed entirely through
 * {@link TensorOps}. Weights are [in, out] (so a layer is {@code x·W + b}), named
 * {@code trunk.<i>.weight|bias} and {@code head.<name>.weight|bias}; saved as a safetensors file
 * whose metadata holds {@code format: mtflow.mlp/1} and the architecture JSON under {@code architecture}.
 */
public final class Mlp {
    public static final String FORMAT = "mtflow.mlp/1";

    private final MlpSpec spec;
    private final Map<String, Tensor> params;

    private Mlp(MlpSpec spec, Map<String, Tensor> params) {
        this.spec = spec;
        this.params = params;
    }

    /**
     * Fresh weights: He-normal (std √(2/fan-in)) for trunk layers, Xavier-normal (std √(2/(in+out)))
     * for heads, zero biases. Each weight draws from Philox keyed by {@code seed} and a stream derived
     * from {@code stream} and its name, so a layer's init does not depend on the others.
     */
    public static Mlp init(MlpSpec spec, TensorOps ops, long seed, long stream) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        List<Integer> sizes = spec.trunkSizes();
        for (int i = 0; i + 1 < sizes.size(); i++) {
            int in = sizes.get(i), out = sizes.get(i + 1);
            p.put(trunk(i, "weight"), normal(ops, seed, stream, trunk(i, "weight"), (float) Math.sqrt(2.0 / in), in, out));
            p.put(trunk(i, "bias"), Tensor.zeros(out));
        }
        int w = spec.trunkWidth();
        spec.heads().forEach((name, classes) -> {
            p.put(head(name, "weight"), normal(ops, seed, stream, head(name, "weight"),
                    (float) Math.sqrt(2.0 / (w + classes)), w, classes));
            p.put(head(name, "bias"), Tensor.zeros(classes));
        });
        return new Mlp(spec, p);
    }

    private static Tensor normal(TensorOps ops, long seed, long stream, String name, float std, int in, int out) {
        Tensor t = Tensor.zeros(in, out);
        ops.normal(seed, Philox.stream("mlp-init", Long.toHexString(stream), name), 0f, std, t);
        return t;
    }

    /** Every parameter's name and shape, in the order of {@link #parameters()}. */
    public static Map<String, int[]> shapes(MlpSpec spec) {
        Map<String, int[]> s = new LinkedHashMap<>();
        List<Integer> sizes = spec.trunkSizes();
        for (int i = 0; i + 1 < sizes.size(); i++) {
            s.put(trunk(i, "weight"), new int[] {sizes.get(i), sizes.get(i + 1)});
            s.put(trunk(i, "bias"), new int[] {sizes.get(i + 1)});
        }
        spec.heads().forEach((name, classes) -> {
            s.put(head(name, "weight"), new int[] {spec.trunkWidth(), classes});
            s.put(head(name, "bias"), new int[] {classes});
        });
        return s;
    }

    static String trunk(int layer, String part) { return "trunk." + layer + "." + part; }

    static String head(String name, String part) { return "head." + name + "." + part; }

    public MlpSpec spec() { return spec; }

    /** The weights by name, in a fixed order (trunk first, then heads); the optimizer updates them in place. */
    public Map<String, Tensor> parameters() { return java.util.Collections.unmodifiableMap(params); }

    /**
     * A model of {@code spec} with the given weights (used, not copied): one tensor per name of
     * {@link #shapes}, of that shape. How merges build their output.
     */
    public static Mlp of(MlpSpec spec, Map<String, Tensor> weights) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        for (var e : shapes(spec).entrySet()) {
            Tensor t = weights.get(e.getKey());
            if (t == null) throw new IllegalArgumentException("no tensor '" + e.getKey() + "' for the architecture " + spec.toJson());
            if (!java.util.Arrays.equals(t.shape(), e.getValue())) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' is " + t + ", the architecture wants " + java.util.Arrays.toString(e.getValue()));
            }
            p.put(e.getKey(), t);
        }
        if (weights.size() != p.size()) throw new IllegalArgumentException("tensors " + weights.keySet() + " are not those of the architecture " + spec.toJson());
        return new Mlp(spec, p);
    }

    /** A deep copy. */
    public Mlp copy() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        params.forEach((k, t) -> p.put(k, Tensor.of(t.data().clone(), t.shape())));
        return new Mlp(spec, p);
    }

    /** This model's trunk with the heads of {@code heads}: copied trunk weights, fresh heads from the init of a new model. */
    public Mlp withHeads(Map<String, Integer> heads, TensorOps ops, long seed, long stream) {
        MlpSpec s = new MlpSpec(spec.inputs(), spec.hidden(), spec.activation(), heads);
        Mlp fresh = init(s, ops, seed, stream);
        params.forEach((k, t) -> {
            if (k.startsWith("trunk.")) fresh.params.put(k, Tensor.of(t.data().clone(), t.shape()));
        });
        return fresh;
    }

    /** A copy with the trunk and head {@code head} only. */
    public Mlp keepingHead(String head) {
        requireHead(head);
        MlpSpec s = new MlpSpec(spec.inputs(), spec.hidden(), spec.activation(), Map.of(head, spec.heads().get(head)));
        Map<String, Tensor> p = new LinkedHashMap<>();
        params.forEach((k, t) -> {
            if (k.startsWith("trunk.") || k.startsWith("head." + head + ".")) p.put(k, Tensor.of(t.data().clone(), t.shape()));
        });
        return new Mlp(s, p);
    }

    private Tensor p(String name) { return params.get(name); }

    private void requireHead(String head) {
        if (!spec.heads().containsKey(head)) {
            throw new IllegalArgumentException("the model has no head '" + head + "'; its heads are " + spec.heads().keySet());
        }
    }

    /** The logits [rows, classes] of head {@code head} for the rows of x [rows, inputs]. */
    public Tensor logits(TensorOps ops, Tensor x, String head) {
        return forward(ops, x, head).logits;
    }

    /** What the backward pass needs: each layer's input and pre-activation. */
    private record Pass(List<Tensor> inputs, List<Tensor> preActivations, Tensor logits) {}

    private Pass forward(TensorOps ops, Tensor x, String head) {
        requireHead(head);
        if (x.rank() != 2 || x.dim(1) != spec.inputs()) {
            throw new IllegalArgumentException("model input must be [rows, " + spec.inputs() + "], got " + x);
        }
        int rows = x.dim(0);
        List<Tensor> inputs = new ArrayList<>();
        List<Tensor> pre = new ArrayList<>();
        Tensor a = x;
        for (int i = 0; i < spec.hidden().size(); i++) {
            Tensor z = Tensor.zeros(rows, spec.hidden().get(i));
            ops.matmul(a, p(trunk(i, "weight")), z);
            ops.addBias(z, p(trunk(i, "bias")), z);
            Tensor next = Tensor.zerosLike(z);
            spec.activation().forward(ops, z, next);
            inputs.add(a);
            pre.add(z);
            a = next;
        }
        inputs.add(a);
        Tensor logits = Tensor.zeros(rows, spec.heads().get(head));
        ops.matmul(a, p(head(head, "weight")), logits);
        ops.addBias(logits, p(head(head, "bias")), logits);
        return new Pass(inputs, pre, logits);
    }

    /**
     * Forward and backward over one minibatch through head {@code head}: returns the mean
     * softmax cross-entropy against {@code labels} and puts the gradient of every trunk parameter and
     * of that head's parameters into {@code grads} (by parameter name, replacing what was there).
     */
    public double lossAndGradients(TensorOps ops, Tensor x, int[] labels, String head, Map<String, Tensor> grads) {
        Pass pass = forward(ops, x, head);
        if (labels.length != x.dim(0)) {
            throw new IllegalArgumentException(labels.length + " labels for " + x.dim(0) + " rows");
        }
        Tensor g = Tensor.zerosLike(pass.logits);
        double loss = ops.softmaxCrossEntropy(pass.logits, labels, g);
        backward(ops, pass, head, g, grads, false);
        return loss;
    }

    /** A loss over a batch's logits: returns its value and writes d loss / d logits into {@code grad}. */
    @FunctionalInterface
    public interface LogitLoss {
        double apply(Tensor logits, Tensor grad);
    }

    /**
     * Like {@link #lossAndGradients(TensorOps, Tensor, int[], String, Map)} for any loss over the
     * logits of head {@code head} (an unsupervised one, say).
     */
    public double lossAndGradients(TensorOps ops, Tensor x, String head, LogitLoss loss, Map<String, Tensor> grads) {
        Pass pass = forward(ops, x, head);
        Tensor g = Tensor.zerosLike(pass.logits);
        double value = loss.apply(pass.logits, g);
        backward(ops, pass, head, g, grads, false);
        return value;
    }

    /**
     * For each row n of x, the gradient gₙ of the loss of that row alone through head {@code head}
     * ({@code perRow} writes d lossₙ / d logitsₙ into each row of its grad, not divided by the row
     * count); puts {@code Σₙ gₙ²} (elementwise) of every trunk and head parameter into {@code sums}.
     * In one batched pass: a layer's gradient for row n is the outer product of its input aₙ and its
     * output gradient δₙ, so {@code Σₙ (aₙ δₙᵀ)² = (A∘A)ᵀ (Δ∘Δ)}. What a diagonal Fisher needs.
     */
    public double squaredGradientSums(TensorOps ops, Tensor x, String head, LogitLoss perRow, Map<String, Tensor> sums) {
        Pass pass = forward(ops, x, head);
        Tensor g = Tensor.zerosLike(pass.logits);
        double value = perRow.apply(pass.logits, g);
        backward(ops, pass, head, g, sums, true);
        return value;
    }

    /** The input of every trunk layer, then the heads' input (the trunk's output), for the rows of x. */
    public List<Tensor> layerInputs(TensorOps ops, Tensor x, String head) {
        return forward(ops, x, head).inputs;
    }

    /**
     * Backpropagates {@code gradLogits} (d loss / d logits) through the pass; {@code squared}: puts
     * the sums over rows of the squared per-row gradients instead of the gradients.
     */
    private void backward(TensorOps ops, Pass pass, String head, Tensor gradLogits, Map<String, Tensor> grads, boolean squared) {
        int layers = spec.hidden().size();
        Tensor top = pass.inputs.get(layers);
        putGrads(ops, grads, head(head, "weight"), head(head, "bias"), top, gradLogits, squared);
        if (layers == 0) return;
        Tensor ga = Tensor.zerosLike(top);
        ops.matmul(gradLogits, false, p(head(head, "weight")), true, ga);
        for (int i = layers - 1; i >= 0; i--) {
            Tensor z = pass.preActivations.get(i);
            Tensor gz = Tensor.zerosLike(z);
            spec.activation().backward(ops, z, ga, gz);
            Tensor in = pass.inputs.get(i);
            putGrads(ops, grads, trunk(i, "weight"), trunk(i, "bias"), in, gz, squared);
            if (i > 0) {
                ga = Tensor.zerosLike(in);
                ops.matmul(gz, false, p(trunk(i, "weight")), true, ga);
            }
        }
    }

    private static void putGrads(TensorOps ops, Map<String, Tensor> grads, String weight, String bias, Tensor in, Tensor gradOut,
                                 boolean squared) {
        if (squared) {
            in = square(ops, in);
            gradOut = square(ops, gradOut);
        }
        grads.put(weight, weightGrad(ops, in, gradOut));
        grads.put(bias, biasGrad(ops, gradOut));
    }

    private static Tensor square(TensorOps ops, Tensor t) {
        Tensor sq = Tensor.zerosLike(t);
        ops.mul(t, t, sq);
        return sq;
    }

    private static Tensor weightGrad(TensorOps ops, Tensor in, Tensor gradOut) {
        Tensor gw = Tensor.zeros(in.dim(1), gradOut.dim(1));
        ops.matmul(in, true, gradOut, false, gw);
        return gw;
    }

    private static Tensor biasGrad(TensorOps ops, Tensor gradOut) {
        Tensor gb = Tensor.zeros(gradOut.dim(1));
        ops.sumRows(gradOut, gb);
        return gb;
    }

    /** The metadata that makes a safetensors file a model: the format and the architecture JSON. */
    public Map<String, String> metadata() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("architecture", spec.toJson());
        return meta;
    }

    public void write(OutputStream out) throws IOException {
        Safetensors.write(out, params, metadata());
    }

    public void writeFile(Path file) throws IOException {
        Safetensors.writeFile(file, params, metadata());
    }

    public static Mlp read(Path file) throws IOException {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            return read(r);
        }
    }

    /** The model in an open file (which may hold other entries too, as a checkpoint does). */
    public static Mlp read(Safetensors.Reader r) throws IOException {
        Map<String, String> meta = r.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new FormatException(r.file(), "not a model (metadata format is " + meta.get("format") + ", want " + FORMAT + ")");
        }
        MlpSpec spec;
        try {
            spec = MlpSpec.fromJson(meta.getOrDefault("architecture", ""));
        } catch (IllegalArgumentException e) {
            throw new FormatException(r.file(), "bad architecture in metadata: " + e.getMessage());
        }
        Map<String, Tensor> p = new LinkedHashMap<>();
        for (var e : shapes(spec).entrySet()) {
            if (!r.entries().containsKey(e.getKey())) throw new FormatException(r.file(), "model has no tensor '" + e.getKey() + "'");
            Tensor t = r.read(e.getKey());
            if (!java.util.Arrays.equals(t.shape(), e.getValue())) {
                throw new FormatException(r.file(), "tensor '" + e.getKey() + "' is " + t + ", the architecture wants "
                        + java.util.Arrays.toString(e.getValue()));
            }
            p.put(e.getKey(), t);
        }
        return new Mlp(spec, p);
    }
}
