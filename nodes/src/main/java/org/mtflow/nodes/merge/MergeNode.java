package org.mtflow.nodes.merge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.format.ShardedSafetensors;
import org.mtflow.kernels.format.StreamingSafetensorsWriter;
import org.mtflow.kernels.io.AtomicFiles;
import org.mtflow.nodes.HfModelArtifacts;

/**
 * The node type {@code merge.<method>} of one data-free {@link MergeMethod}: merges the checkpoints
 * of input {@code models} (onto input {@code base} where the method needs one) tensor by tensor, and
 * writes a safetensors model with the same tensor names, dtypes and metadata (so a merged Mlp can be
 * predicted with and evaluated).
 */
public final class MergeNode implements NodeType<MergeNode.Params> {
    /** Elements per piece of a tensor merged in pieces into a directory: 16 MB per input as float32. */
    public static final int PIECE_ELEMENTS = 1 << 22;

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
                    + "from the reference model; a retried task keeps the shards already written) instead of one artifact file")
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

    /** Streams the merged tensors into a sharded checkpoint in {@code dir}; its manifest is the output. */
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
        Files.createDirectories(dir);
        StreamingSafetensorsWriter[] writer = new StreamingSafetensorsWriter[1];
        Path[] config = new Path[1];
        try {
            merge(ctx, new Merger.Sink() {
                @Override
                public void start(Collection<Safetensors.Entry> entries, Map<String, String> metadata, Path configFile) throws IOException {
                    StreamingSafetensorsWriter.Builder b = StreamingSafetensorsWriter.to(dir).metadata(metadata);
                    if (p.maxShardBytes() != null) b.maxShardBytes(p.maxShardBytes());
                    for (Safetensors.Entry e : entries) b.declare(e.name(), p.dtypeOr(e.dtype()), e.shape());
                    writer[0] = b.open();
                    config[0] = configFile;
                }

                @Override
                public void put(String name, Tensor merged, Safetensors.Entry like) throws IOException {
                    writer[0].write(name, merged); // false for a tensor whose shard a killed attempt completed
                }

                @Override public int pieceElements() { return PIECE_ELEMENTS; }

                @Override
                public void putPiece(String name, long from, Tensor piece, Safetensors.Entry like) throws IOException {
                    writer[0].write(name, from, piece);
                }
            });
            writer[0].finish();
            Map<String, String> crc32c = new TreeMap<>(writer[0].checksums());
            Path index = writer[0].indexFile();
            if (index.getFileName().toString().equals(ShardedSafetensors.INDEX_FILE_NAME)) {
                crc32c.put(index.getFileName().toString(), StreamingSafetensorsWriter.crc32c(index));
            }
            if (config[0] != null) {
                AtomicFiles.write(dir.resolve(HfModel.CONFIG_FILE_NAME), Files.readAllBytes(config[0]));
                crc32c.put(HfModel.CONFIG_FILE_NAME, StreamingSafetensorsWriter.crc32c(dir.resolve(HfModel.CONFIG_FILE_NAME)));
            }
            ctx.metric("kept-shards", writer[0].keptShards().size());
            HfModelArtifacts.write(ctx, "model", dir, crc32c);
        } finally {
            if (writer[0] != null) writer[0].close();
        }
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
