package org.mtflow.nodes.merge;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.format.ShardOutput;
import org.mtflow.kernels.format.StreamingSafetensorsWriter;
import org.mtflow.kernels.format.TensorSpec;
import org.mtflow.kernels.io.AtomicFiles;

/**
 * A merge into a Hugging Face model directory, cut into shards that are merged apart: {@link #plan}
 * lays the merged checkpoint out as {@link StreamingSafetensorsWriter} would (shards of at most
 * max-shard-bytes, in the reference's tensor order); {@link #mergeShard} merges the tensors of one
 * shard into that shard file's bytes (needing only the inputs and the spec, so each shard can be a
 * task of its own, on any device or node); {@link #assemble} puts the shard files (hard-linked
 * when it can), the index and config.json into the directory. A merged tensor does not depend on which others are merged with it
 * ({@link MergeMethod#merge}), so the bytes are those of one streaming merge of the whole model.
 */
public final class ShardedMerge {
    /** Elements per piece of a tensor merged in pieces: 16 MB per input as float32. */
    public static final int PIECE_ELEMENTS = 1 << 22;
    private static final String PREFIX = "model";
    /** Files of ours in a model directory: shards, index, and what a killed write leaves (records, partial shards, temps). */
    private static final Pattern OURS = Pattern.compile("\\.?" + PREFIX + "(-\\d{5}-of-\\d{5})?\\.safetensors"
            + "(\\.index\\.json)?(\\.partial|\\.done|\\.lock)?(\\.[0-9a-f]+\\.tmp)?|\\." + Pattern.quote(HfModel.CONFIG_FILE_NAME) + "\\.[0-9a-f]+\\.tmp");

    private ShardedMerge() {}

    /**
     * What is merged: the method, its inputs (artifact files, as {@link Merger#merge} takes them) and
     * parameters, the drops' seed, the output dtype (null: each tensor's in the reference) and the most
     * tensor bytes per shard.
     */
    public record Spec(MergeMethod method, Path base, List<Path> models, Map<String, Object> parameters,
                       List<Map<String, Object>> modelParameters, long seed, Dtype dtype, long maxShardBytes) {
        public Spec {
            models = List.copyOf(models);
            if (maxShardBytes < 1) throw new IllegalArgumentException("max-shard-bytes must be at least 1, got " + maxShardBytes);
        }
    }

    /**
     * The merged checkpoint's layout, the reference's config.json (null for a bare safetensors
     * reference), and each model's whole-model threshold when the merge uses {@code topk: global} (null
     * otherwise): computed once here, given to every shard.
     */
    public record Plan(StreamingSafetensorsWriter.Layout layout, Path configFile, double[] globalThresholds) {
        public int shards() { return layout.shards().size(); }
    }

    /** Opens and checks the inputs and parameters (bad ones throw IllegalArgumentException naming them) and plans the shards. */
    public static Plan plan(Spec spec) throws IOException {
        try (Merger.Inputs in = open(spec, null)) {
            return new Plan(layout(spec, in), in.ref.configFile(), in.globalThresholds);
        }
    }

    /**
     * Merges the tensors of shard {@code shard} (0-based) of a plan of {@code shards} shards, in file
     * order, writing the shard file's bytes to {@code out}. {@code globalThresholds}: the plan's.
     */
    public static void mergeShard(TensorOps ops, Spec spec, double[] globalThresholds, int shard, int shards, OutputStream out)
            throws IOException {
        try (Merger.Inputs in = open(spec, globalThresholds)) {
            StreamingSafetensorsWriter.Layout layout = layout(spec, in);
            if (layout.shards().size() != shards || shard < 0 || shard >= shards) {
                throw new IllegalArgumentException("shard " + (shard + 1) + " of " + shards + " was asked for, but the inputs plan "
                        + layout.shards().size() + " shards; were the input checkpoints rewritten since the merge planned them?");
            }
            ShardOutput file = new ShardOutput(layout, shard, out);
            List<String> names = new ArrayList<>();
            for (TensorSpec t : file.tensors()) names.add(t.name());
            Merger.mergeTensors(ops, spec.method(), in, names, spec.seed(), new Merger.Sink() {
                @Override
                public void put(String name, Tensor merged, Safetensors.Entry like) throws IOException {
                    file.write(name, 0, merged);
                }

                @Override public int pieceElements() { return PIECE_ELEMENTS; }

                @Override
                public void putPiece(String name, long from, Tensor piece, Safetensors.Entry like) throws IOException {
                    file.write(name, from, piece);
                }
            });
            file.finish();
        }
    }

    /**
     * Puts the merged shards into {@code dir}: removes what is ours there and not planned (an older
     * model's shards, leftovers of a killed write), places each shard ({@link #place}; kept when the
     * file there already has its bytes), config.json, and last the index (for one shard, model.safetensors), each file by
     * an atomic rename: until the last one lands the directory reads as no model. {@code shardFiles}:
     * the plan's shard files, in order. Returns each file's CRC32C by name, for the manifest.
     */
    public static Map<String, String> assemble(Path dir, Plan plan, List<Path> shardFiles) throws IOException {
        List<StreamingSafetensorsWriter.Shard> shards = plan.layout().shards();
        if (shardFiles.size() != shards.size()) {
            throw new IllegalArgumentException(shardFiles.size() + " shard files for a plan of " + shards.size() + " shards");
        }
        start(dir, plan);
        Map<String, String> crc32c = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            Path from = shardFiles.get(i), to = dir.resolve(shards.get(i).fileName());
            String crc = StreamingSafetensorsWriter.crc32c(from);
            crc32c.put(to.getFileName().toString(), crc);
            if (i == 0 && plan.layout().index() == null) continue; // model.safetensors goes last: it is the commit point
            if (Files.isRegularFile(to) && Files.size(to) == Files.size(from) && StreamingSafetensorsWriter.crc32c(to).equals(crc)) continue;
            place(from, to);
        }
        if (plan.layout().index() == null) {
            finish(dir, plan, crc32c, () -> place(shardFiles.get(0), dir.resolve(shards.get(0).fileName())));
        } else {
            finish(dir, plan, crc32c, null);
        }
        return crc32c;
    }

    /**
     * The whole merge, shard after shard on {@code ops}, each merged straight into its place in
     * {@code dir} (what {@code merge.<method>} does with its shards spread over tasks). Returns each file's CRC32C.
     */
    public static Map<String, String> mergeIntoDirectory(TensorOps ops, Spec spec, Path dir) throws IOException {
        Plan plan = plan(spec);
        start(dir, plan);
        Map<String, String> crc32c = new TreeMap<>();
        List<StreamingSafetensorsWriter.Shard> shards = plan.layout().shards();
        for (int i = plan.layout().index() == null ? 1 : 0; i < shards.size(); i++) {
            Path to = dir.resolve(shards.get(i).fileName());
            int shard = i;
            AtomicFiles.write(to, out -> mergeShard(ops, spec, plan.globalThresholds(), shard, shards.size(), out));
            crc32c.put(to.getFileName().toString(), StreamingSafetensorsWriter.crc32c(to));
        }
        finish(dir, plan, crc32c, plan.layout().index() != null ? null : () -> {
            Path single = dir.resolve(shards.get(0).fileName());
            AtomicFiles.write(single, out -> mergeShard(ops, spec, plan.globalThresholds(), 0, 1, out));
            crc32c.put(single.getFileName().toString(), StreamingSafetensorsWriter.crc32c(single));
        });
        return crc32c;
    }

    /**
     * Puts a shard file (an artifact in the store) at {@code to}, atomically: a hard link when both are
     * on one filesystem (no copy of gigabytes), else a copy. A link shares the store's file, which is
     * safe because nothing of ours ever writes a file in place (every write is a temp file renamed
     * over the name, which leaves the linked file alone), and because the store hashes an artifact
     * again before any task reads it: a tool that rewrote a shard in place through the directory would
     * make the store recompute that shard, never hand out wrong bytes.
     */
    private static void place(Path from, Path to) throws IOException {
        Path temp = to.resolveSibling("." + to.getFileName() + "." + Long.toHexString(System.nanoTime() & Long.MAX_VALUE) + ".tmp");
        try {
            Files.createLink(temp, from);
        } catch (IOException | UnsupportedOperationException e) { // another filesystem, or no hard links there
            Files.deleteIfExists(temp);
            AtomicFiles.write(to, out -> Files.copy(from, out));
            return;
        }
        try {
            AtomicFiles.commit(temp, to);
        } catch (IOException | RuntimeException e) {
            AtomicFiles.deleteQuietly(temp, e);
            throw e;
        }
    }

    private static Merger.Inputs open(Spec spec, double[] globalThresholds) throws IOException {
        return Merger.Inputs.open(spec.method(), spec.base(), spec.models(), spec.parameters(), spec.modelParameters(), globalThresholds);
    }

    private static StreamingSafetensorsWriter.Layout layout(Spec spec, Merger.Inputs in) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (Safetensors.Entry e : in.ref.entries().values()) {
            specs.add(new TensorSpec(e.name(), spec.dtype() != null ? spec.dtype() : e.dtype(), e.shape()));
        }
        return StreamingSafetensorsWriter.layout(specs, spec.maxShardBytes(), PREFIX, in.ref.metadata());
    }

    /** Makes the directory read as unfinished (no index, no single file) and removes our files the plan does not write. */
    private static void start(Path dir, Plan plan) throws IOException {
        Files.createDirectories(dir);
        Set<String> planned = new java.util.HashSet<>();
        for (StreamingSafetensorsWriter.Shard s : plan.layout().shards()) planned.add(s.fileName());
        if (plan.layout().index() == null) planned.clear(); // the single file is the commit point: rewritten last
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (OURS.matcher(name).matches() && !planned.contains(name)) stale.add(f);
            }
        }
        stale.sort(null);
        // The index (or single file) first, so that a crash from here on leaves no model that reads as whole.
        Path commit = dir.resolve(plan.layout().index() != null ? plan.layout().indexFileName() : HfModel.SINGLE_FILE_NAME);
        Files.deleteIfExists(commit);
        AtomicFiles.syncDirectory(dir);
        for (Path f : stale) Files.deleteIfExists(f);
    }

    private interface Step {
        void run() throws IOException;
    }

    /** config.json, then the commit point: the index, or ({@code single}) the one-shard model.safetensors. */
    private static void finish(Path dir, Plan plan, Map<String, String> crc32c, Step single) throws IOException {
        if (plan.configFile() != null) {
            Path config = dir.resolve(HfModel.CONFIG_FILE_NAME);
            AtomicFiles.write(config, Files.readAllBytes(plan.configFile()));
            crc32c.put(HfModel.CONFIG_FILE_NAME, StreamingSafetensorsWriter.crc32c(config));
        }
        if (single != null) {
            single.run();
        } else {
            Path index = dir.resolve(plan.layout().indexFileName());
            AtomicFiles.write(index, plan.layout().index());
            crc32c.put(index.getFileName().toString(), StreamingSafetensorsWriter.crc32c(index));
        }
        AtomicFiles.syncDirectory(dir);
    }
}
