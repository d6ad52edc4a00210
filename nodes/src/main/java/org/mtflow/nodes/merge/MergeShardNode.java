package org.mtflow.nodes.merge;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.FormatException;

/**
 * One shard of a merge into a model directory ({@link ShardedMerge#mergeShard}): the subtask
 * {@code merge.<method>} with param output spawns per shard ({@code <task>/shard-00001}…), so the
 * shards run in parallel on the workers, devices and nodes available, are cached by their inputs and
 * params, and a resumed run does not merge a finished shard again. Its output is the shard file, which
 * the parent copies into the directory. Not meant to be declared in a workflow (the parent sets its
 * params from its own); declared, it is a plain function of its params and inputs.
 */
public final class MergeShardNode implements NodeType<MergeShardNode.Params> {

    public record Params(
            @Required @Doc("the merge method (merge.<method>'s name)") String method,
            @Doc("the parent merge's method-wide parameters") Map<String, Object> parameters,
            @Doc("the parent merge's per-model parameters") List<Map<String, Object>> modelParameters,
            @Required @Doc("the seed of the random drops") Long seed,
            @Doc("the merged tensors' dtype; default each tensor's in the reference model") String dtype,
            @Required @Doc("the most tensor bytes per shard file, as the parent planned") Long maxShardBytes,
            @Required @Doc("which shard, from 1") Integer shard,
            @Required @Doc("how many shards the parent planned (checked against the inputs)") Integer shards,
            @Doc("topk: global: each model's whole-model threshold, as the parent computed it (Java's double text, exact)")
            List<String> globalThresholds) {
        public Params {
            if (dtype != null && !List.of("F32", "F16", "BF16").contains(dtype)) {
                throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got '" + dtype + "'");
            }
            if (shards != null && shards < 1) throw new IllegalArgumentException("shards must be at least 1, got " + shards);
            if (shard != null && shards != null && (shard < 1 || shard > shards)) {
                throw new IllegalArgumentException("shard must be in [1, " + shards + "], got " + shard);
            }
        }
    }

    @Override public String name() { return "merge.shard"; }
    @Override public String description() { return "One shard of a merge.<method> into a model directory (spawned by it; not for workflows)."; }
    @Override public Class<Params> paramsType() { return Params.class; }

    @Override
    public List<Port> inputs() {
        return List.of(Port.optional("base", "the parent merge's base model").of(Port.Kind.MODEL),
                Port.many("models", "the parent merge's models").of(Port.Kind.MODEL));
    }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("shard", "the shard file (safetensors), as it goes into the model directory").of(Port.Kind.ANY));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        MergeMethod method = MergeMethods.named(p.method()).orElseThrow(() -> NodeException.permanent(
                "merge.shard: no merge method '" + p.method() + "'"));
        double[] global = null;
        if (p.globalThresholds() != null) {
            global = new double[p.globalThresholds().size()];
            for (int i = 0; i < global.length; i++) global[i] = Double.parseDouble(p.globalThresholds().get(i));
        }
        Path base = ctx.hasInput("base") ? ctx.input("base") : null;
        ShardedMerge.Spec spec = new ShardedMerge.Spec(method, base, ctx.inputs("models"), p.parameters(), p.modelParameters(),
                p.seed(), p.dtype() != null ? Dtype.valueOf(p.dtype()) : null, p.maxShardBytes());
        double[] thresholds = global;
        try {
            ctx.output("shard", out -> ShardedMerge.mergeShard(ctx.ops(), spec, thresholds, p.shard() - 1, p.shards(), out));
        } catch (IllegalArgumentException | FormatException e) {
            throw NodeException.permanent("merge.shard " + p.shard() + " of " + p.shards() + " (" + method.name() + "): " + e.getMessage());
        }
        ctx.metric("backend", ctx.ops().name());
    }
}
