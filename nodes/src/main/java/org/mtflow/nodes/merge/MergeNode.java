package org.mtflow.nodes.merge;

import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;

/**
 * The node type {@code merge.<method>} of one data-free {@link MergeMethod}: merges the checkpoints
 * of input {@code models} (onto input {@code base} where the method needs one) tensor by tensor, and
 * writes a safetensors model with the same tensor names, dtypes and metadata (so a merged Mlp can be
 * predicted with and evaluated).
 */
public final class MergeNode implements NodeType<MergeNode.Params> {
    private final MergeMethod method;

    public MergeNode(MergeMethod method) {
        this.method = method;
    }

    public record Params(
            @Doc("method-wide parameters, also the defaults of per-model ones (mergekit's names: weight, density, lambda, normalize, t…); "
                    + "a value is a number, a gradient over layers (a list of numbers) or a list of {filter: substring, value}")
            Map<String, Object> parameters,
            @Doc("per-model parameters (weight, density…), one map per model of input 'models', in order") List<Map<String, Object>> modelParameters,
            @Doc("seed of the random drops (DARE, DELLA); default the run's seed") Long seed) {}

    @Override public String name() { return "merge." + method.name(); }
    @Override public String description() { return "Merges models with " + method.name() + " (see docs/merging.md), tensor by tensor."; }
    @Override public Class<Params> paramsType() { return Params.class; }

    @Override
    public List<Port> inputs() {
        Port models = Port.many("models", "the models to merge, safetensors checkpoints with the same tensors").of(Port.Kind.MODEL);
        if (!method.needsBase()) return List.of(models);
        return List.of(Port.one("base", "the model the others were fine-tuned from").of(Port.Kind.MODEL), models);
    }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("model", "the merged model: the inputs' tensor names, dtypes and metadata").of(Port.Kind.MODEL));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        Safetensors.Writer writer = Safetensors.writer();
        Map<String, String> metadata;
        try {
            metadata = Merger.merge(ctx.ops(), method, method.needsBase() ? ctx.input("base") : null, ctx.inputs("models"),
                    p.parameters(), p.modelParameters(), seed, (name, merged, like) -> writer.put(name, merged, like.dtype()));
        } catch (IllegalArgumentException | FormatException e) {
            throw NodeException.permanent("merge." + method.name() + ": " + e.getMessage());
        }
        writer.metadata(metadata);
        ctx.metric("method", method.name());
        ctx.metric("models", ctx.inputs("models").size());
        ctx.metric("backend", ctx.ops().name());
        ctx.output("model", writer::write);
    }
}
