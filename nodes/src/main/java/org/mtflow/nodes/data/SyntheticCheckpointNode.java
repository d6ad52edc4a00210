package org.mtflow.nodes.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.nodes.HfModelArtifacts;

/**
 * Writes a Llama-shaped checkpoint directory with seeded random values ({@link SyntheticLlama}): the
 * names and shapes of a real 1B-class model (TinyLlama-1.1B by default) and its config.json, so that
 * merges can be run and measured at scale without a download. Several checkpoints made with the same
 * {@code base} share their base weights exactly and differ by seeded task vectors of std {@code noise}:
 * the fine-tunes of a merging study. The same params give bit-identical files.
 *
 * <p>The directory is written in place ({@code dir}), resumably: a retried or resumed task keeps the
 * shards a killed attempt had completed. The output is the directory's manifest ({@link HfModelArtifacts}).
 */
public final class SyntheticCheckpointNode implements NodeType<SyntheticCheckpointNode.Params> {

    public record Params(
            @Required @Doc("the directory to write the model into (created; an unfinished write there is resumed)") String dir,
            @Doc("decoder layers, default 22 (TinyLlama-1.1B)") Integer layers,
            @Doc("hidden size, default 2048") Integer hidden,
            @Doc("MLP intermediate size, default 5632") Integer intermediate,
            @Doc("vocabulary size, default 32000") Integer vocab,
            @Doc("attention heads, default 32") Integer heads,
            @Doc("key/value heads (grouped-query attention), default 4") Integer kvHeads,
            @Doc("stored dtype: F32, F16 or BF16, default BF16") String dtype,
            @Doc("the values' seed (of the task vector when base is set); overrides the run seed") Long seed,
            @Doc("the seed of a shared base model: this checkpoint is then base + noise · a seeded task vector") Long base,
            @Doc("std of the task vector added to the base, default 0.002 (the weights' std is 0.02); needs base") Double noise,
            @Doc("the most tensor bytes per shard file, default 5000000000 (Hugging Face's 5GB)") Long maxShardBytes) {
        public Params {
            SyntheticLlama.Shape d = SyntheticLlama.Shape.TINY_LLAMA_1_1B;
            if (layers == null) layers = d.layers();
            if (hidden == null) hidden = d.hidden();
            if (intermediate == null) intermediate = d.intermediate();
            if (vocab == null) vocab = d.vocab();
            if (heads == null) heads = d.heads();
            if (kvHeads == null) kvHeads = d.kvHeads();
            if (dtype == null) dtype = "BF16";
            dtype = dtype.toUpperCase(Locale.ROOT);
            if (!List.of("F32", "F16", "BF16").contains(dtype)) {
                throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got " + dtype);
            }
            if (noise != null && base == null) {
                throw new IllegalArgumentException("noise is the std of a fine-tune's task vector: set base (the base model's seed) too");
            }
            if (noise == null) noise = 0.002;
            if (maxShardBytes == null) maxShardBytes = 5_000_000_000L;
            if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
            new SyntheticLlama.Shape(layers, hidden, intermediate, vocab, heads, kvHeads); // validates the architecture
            new SyntheticLlama.Values(0, base, noise);
        }

        public SyntheticLlama.Shape shape() {
            return new SyntheticLlama.Shape(layers, hidden, intermediate, vocab, heads, kvHeads);
        }
    }

    @Override public String name() { return "data.synthetic-checkpoint"; }
    @Override public String description() { return "Writes a Llama-shaped checkpoint directory (TinyLlama-1.1B shapes by default) with seeded random values, optionally a fine-tune of a shared base."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(); }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("model", "the model directory's manifest (" + HfModelArtifacts.FORMAT
                + "): config.json + model.safetensors or shards and index").of(Port.Kind.MODEL));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        SyntheticLlama.Values values = new SyntheticLlama.Values(p.seed() != null ? p.seed() : ctx.seed(), p.base(), p.noise());
        Path dir = Path.of(p.dir());
        Map<String, String> files = SyntheticLlama.write(ctx.ops(), p.shape(), Dtype.valueOf(p.dtype()), values, p.maxShardBytes(), dir,
                f -> {
                    ctx.checkCancelled();
                    ctx.progress(f, "writing " + dir);
                });
        ctx.metric("parameters", p.shape().parameters());
        ctx.metric("files", files.size());
        HfModelArtifacts.write(ctx, "model", dir, files);
    }
}
