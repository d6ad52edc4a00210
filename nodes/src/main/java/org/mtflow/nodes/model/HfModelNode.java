package org.mtflow.nodes.model;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.ShardedSafetensors;
import org.mtflow.kernels.format.StreamingSafetensorsWriter;
import org.mtflow.nodes.HfModelArtifacts;

/**
 * A local model directory in the Hugging Face layout as a workflow input: opens it with {@link HfModel}
 * (config.json, every weight file's header), and outputs its manifest ({@link HfModelArtifacts}) with the
 * CRC32C of config.json, the index and every weight file. The checksums make the manifest's hash stand
 * for the weights, so a task fed by it re-runs when the model changes; reading them is one pass over the
 * files, which is why workflows run this task uncached (a cached manifest could outlive the files).
 */
public final class HfModelNode implements NodeType<HfModelNode.Params> {

    public record Params(@Required @Doc("the model directory: config.json + model.safetensors, or shards and "
            + ShardedSafetensors.INDEX_FILE_NAME) String path) {
        public Params {
            if (path != null) {
                if (path.isBlank()) throw new IllegalArgumentException("path is empty: give the model directory");
                try {
                    Path.of(path);
                } catch (InvalidPathException e) {
                    throw new IllegalArgumentException("path '" + path + "' is not a valid path: " + e.getReason());
                }
            }
        }
    }

    @Override public String name() { return "model.hf"; }
    @Override public String description() { return "Reads a local Hugging Face model directory (config.json + safetensors), checks it, and outputs its manifest."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(); }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("model", "the model directory's manifest (" + HfModelArtifacts.FORMAT + ")").of(Port.Kind.MODEL));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Path dir = Path.of(ctx.params().path()).toAbsolutePath().normalize();
        Map<String, String> crc32c = new TreeMap<>(); // by name: the same directory gives the same manifest bytes
        long bytes = 0;
        int tensors;
        try (HfModel model = HfModel.open(dir)) {
            tensors = model.entries().size();
            List<Path> files = new java.util.ArrayList<>();
            files.add(model.configFile());
            Path index = dir.resolve(ShardedSafetensors.INDEX_FILE_NAME);
            if (!model.weightFiles().contains(dir.resolve(HfModel.SINGLE_FILE_NAME)) && Files.isRegularFile(index)) files.add(index);
            files.addAll(model.weightFiles());
            for (Path f : files) {
                ctx.checkCancelled();
                Path abs = f.toAbsolutePath().normalize();
                if (!abs.startsWith(dir)) {
                    throw new FormatException(dir, "weight file " + f + " lies outside the model directory; keep the shards inside it");
                }
                ctx.progress(crc32c.size() / (double) files.size(), "checksumming " + abs.getFileName());
                crc32c.put(dir.relativize(abs).toString(), StreamingSafetensorsWriter.crc32c(abs));
                bytes += Files.size(abs);
            }
        } catch (FormatException e) {
            throw NodeException.permanent("model.hf: " + e.getMessage());
        }
        ctx.metric("tensors", tensors);
        ctx.metric("files", crc32c.size());
        ctx.metric("bytes", bytes);
        HfModelArtifacts.write(ctx, "model", dir, crc32c);
    }
}
