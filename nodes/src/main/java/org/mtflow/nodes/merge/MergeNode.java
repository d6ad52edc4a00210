package org.mtflow.nodes.merge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Subtask;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.format.ShardedSafetensors;
import org.mtflow.nodes.HfModelArtifacts;

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
            @Doc("seed of the random drops (DARE, DELLA); default the run's seed") Long seed,
            @Doc("write the merged model as a Hugging Face model directory here (sharded safetensors + index, config.json copied "
                    + "from the reference model) instead of one artifact file; each shard is merged by a subtask of its own "
                    + "(<task>/shard-00001…), in parallel, and a resumed run keeps the finished ones")
            String output,
            @Doc("the merged tensors' dtype: F32, F16 or BF16; default each tensor's dtype in the reference model") String dtype,
            @Doc("with output: the most tensor bytes per shard file, default 5000000000 (Hugging Face's 5GB)") Long maxShardBytes) {
        public Params {
            if (dtype != null && !List.of("F32", "F16", "BF16").contains(dtype)) {
                throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got '" + dtype + "'");
            }
            if (output != null && output.isBlank()) throw new IllegalArgumentException("output must name a directory");
            if (maxShardBytes != null && maxShardBytes < 1) throw new IllegalArgumentException("max-shard-bytes must be at least 1");
        }

        Dtype dtypeOr(Dtype like) {
            return dtype != null ? Dtype.valueOf(dtype) : like;
        }
    }

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
        return List.of(Port.one("model", "the merged model: the inputs' tensor names, dtypes and metadata; with param output, "
                + "the manifest of the model directory written there").of(Port.Kind.MODEL));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        if (p.output() != null) {
            mergeIntoDirectory(ctx, Path.of(p.output()).toAbsolutePath().normalize());
            return;
        }
        Safetensors.Writer writer = Safetensors.writer();
        Map<String, String> metadata = merge(ctx, (name, merged, like) -> writer.put(name, merged, p.dtypeOr(like.dtype())));
        writer.metadata(metadata);
        ctx.output("model", writer::write);
    }

    /**
     * Plans the shards of the merged checkpoint, spawns one {@code merge.shard} subtask per shard (run
     * in parallel wherever the run has room, cached, journaled: a resumed run keeps finished ones), and
     * assembles their files into {@code dir}; the directory's manifest is the output.
     */
    private void mergeIntoDirectory(TaskContext<Params> ctx, Path dir) throws Exception {
        Params p = ctx.params();
        List<Path> inputs = new ArrayList<>(ctx.inputs("models"));
        if (method.needsBase()) inputs.add(ctx.input("base"));
        for (Path in : inputs) {
            if (HfModelArtifacts.isManifest(in) && HfModelArtifacts.directory(in).equals(dir)) {
                throw NodeException.permanent("merge." + method.name() + ": output " + dir + " is one of the input models' directories; "
                        + "write the merged model to a new directory");
            }
        }
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        long maxShardBytes = p.maxShardBytes() != null ? p.maxShardBytes() : ShardedSafetensors.DEFAULT_MAX_SHARD_BYTES;
        ShardedMerge.Spec spec = new ShardedMerge.Spec(method, method.needsBase() ? ctx.input("base") : null, ctx.inputs("models"),
                p.parameters(), p.modelParameters(), seed, p.dtype() != null ? Dtype.valueOf(p.dtype()) : null, maxShardBytes);
        ShardedMerge.Plan plan;
        try {
            plan = ShardedMerge.plan(spec);
        } catch (IllegalArgumentException | FormatException e) {
            throw NodeException.permanent("merge." + method.name() + ": " + e.getMessage());
        }
        Map<String, List<ArtifactRef>> shardInputs = new LinkedHashMap<>();
        if (method.needsBase()) shardInputs.put("base", ctx.inputRefs("base"));
        shardInputs.put("models", ctx.inputRefs("models"));
        List<Subtask> subtasks = new ArrayList<>();
        for (int i = 1; i <= plan.shards(); i++) {
            ObjectNode params = Json.MAPPER.createObjectNode().put("method", method.name()).put("seed", seed)
                    .put("max-shard-bytes", maxShardBytes).put("shard", i).put("shards", plan.shards());
            if (p.parameters() != null) params.set("parameters", Json.MAPPER.valueToTree(p.parameters()));
            if (p.modelParameters() != null) params.set("model-parameters", Json.MAPPER.valueToTree(p.modelParameters()));
            if (p.dtype() != null) params.put("dtype", p.dtype());
            if (plan.globalThresholds() != null) {
                ArrayNode t = params.putArray("global-thresholds");
                for (double d : plan.globalThresholds()) t.add(Double.toString(d));
            }
            subtasks.add(ctx.spawn(String.format("shard-%05d", i), "merge.shard", params, shardInputs));
        }
        List<Path> files = new ArrayList<>();
        for (SubtaskResult r : ctx.await(subtasks)) files.add(ctx.artifact(r.output("shard")));
        ctx.checkCancelled();
        Map<String, String> crc32c = ShardedMerge.assemble(dir, plan, files);
        ctx.metric("method", method.name());
        ctx.metric("models", ctx.inputs("models").size());
        ctx.metric("shards", plan.shards());
        HfModelArtifacts.write(ctx, "model", dir, crc32c);
    }

    /** Runs the merge into a sink, turning bad input into a permanent failure; returns the reference's metadata. */
    private Map<String, String> merge(TaskContext<Params> ctx, Merger.Sink sink) throws Exception {
        Params p = ctx.params();
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        Map<String, String> metadata;
        try {
            metadata = Merger.merge(ctx.ops(), method, method.needsBase() ? ctx.input("base") : null, ctx.inputs("models"),
                    p.parameters(), p.modelParameters(), seed, sink);
        } catch (IllegalArgumentException | FormatException e) {
            throw NodeException.permanent("merge." + method.name() + ": " + e.getMessage());
        }
        ctx.metric("method", method.name());
        ctx.metric("models", ctx.inputs("models").size());
        ctx.metric("backend", ctx.ops().name());
        return metadata;
    }
}
