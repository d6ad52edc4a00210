package org.mtflow.kernels.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;

/**
 * A local model directory in the Hugging Face layout, opened as one source of tensors: {@code
 * config.json} plus either {@code model.safetensors} or shards listed by {@code
 * model.safetensors.index.json}. When both exist the single file wins, as in {@code transformers}.
 * Opening validates every weight file's header; tensors are then read one at a time (or in ranges),
 * converted to float32.
 */
public final class HfModel implements AutoCloseable {
    public static final String CONFIG_FILE_NAME = "config.json";
    public static final String SINGLE_FILE_NAME = "model.safetensors";
    private static final String LAYOUT = "a Hugging Face model directory holds config.json and model.safetensors"
            + " (or shards listed by " + ShardedSafetensors.INDEX_FILE_NAME + ")";

    private final Path directory;
    private final JsonNode config;
    private final Safetensors.Reader single; // exactly one of single and sharded
    private final ShardedSafetensors sharded;

    private HfModel(Path directory, JsonNode config, Safetensors.Reader single, ShardedSafetensors sharded) {
        this.directory = directory;
        this.config = config;
        this.single = single;
        this.sharded = sharded;
    }

    public static HfModel open(Path directory) throws IOException {
        if (!Files.exists(directory)) throw new FormatException(directory, "no such model directory; " + LAYOUT);
        if (!Files.isDirectory(directory)) throw new FormatException(directory, "is a file, not a model directory; " + LAYOUT);
        Path configFile = directory.resolve(CONFIG_FILE_NAME);
        Path singleFile = directory.resolve(SINGLE_FILE_NAME);
        Path indexFile = directory.resolve(ShardedSafetensors.INDEX_FILE_NAME);
        boolean hasSingle = Files.isRegularFile(singleFile), hasIndex = Files.isRegularFile(indexFile);
        if (!Files.isRegularFile(configFile)) {
            throw new FormatException(directory, "no " + CONFIG_FILE_NAME + " in the model directory; " + LAYOUT);
        }
        if (!hasSingle && !hasIndex) {
            throw new FormatException(directory, "no " + SINGLE_FILE_NAME + " nor " + ShardedSafetensors.INDEX_FILE_NAME
                    + " in the model directory" + weightsFound(directory) + "; " + LAYOUT);
        }
        JsonNode config;
        try {
            config = Safetensors.JSON.readTree(Files.readAllBytes(configFile));
        } catch (JsonProcessingException e) {
            throw new FormatException(configFile, Safetensors.jsonProblem(e));
        }
        if (config == null || !config.isObject()) throw new FormatException(configFile, "is not a JSON object");
        if (hasSingle) return new HfModel(directory, config, Safetensors.open(singleFile), null);
        return new HfModel(directory, config, null, ShardedSafetensors.open(indexFile));
    }

    /** What else the directory holds that looks like weights, for the error message. */
    private static String weightsFound(Path directory) throws IOException {
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                if (n.endsWith(".safetensors") || n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth")
                        || n.endsWith(".gguf") || n.endsWith(".index.json")) {
                    found.add(n);
                }
            }
        }
        if (found.isEmpty()) return " (nor any other weight file)";
        found.sort(null);
        boolean pickle = found.stream().anyMatch(n -> n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth"));
        return " (it holds " + found + (pickle ? "; PyTorch pickle checkpoints are not read: convert them to safetensors first" : "") + ")";
    }

    public Path directory() { return directory; }

    /** The parsed config.json. */
    public JsonNode config() { return config; }

    public Path configFile() { return directory.resolve(CONFIG_FILE_NAME); }

    /** Every tensor, with its dtype and shape, in the file's (or the index's) order. */
    public Map<String, Safetensors.Entry> entries() {
        return single != null ? single.entries() : sharded.entries();
    }

    /** The weights' {@code __metadata__} (the single file's, or the index's). */
    public Map<String, String> metadata() {
        return single != null ? single.metadata() : sharded.metadata();
    }

    /** The safetensors files holding the weights. */
    public List<Path> weightFiles() {
        return single != null ? List.of(single.file()) : sharded.shards();
    }

    /** The entry of a tensor, or an error naming the tensor and the directory. */
    public Safetensors.Entry entry(String name) throws FormatException {
        Safetensors.Entry e = entries().get(name);
        if (e == null) throw new FormatException(directory, "the model has no tensor '" + name + "' (it has " + entries().size() + ")");
        return e;
    }

    public Tensor read(String name) throws IOException {
        entry(name);
        return single != null ? single.read(name) : sharded.read(name);
    }

    /** Elements {@code [from, from + count)} of a tensor, row-major, as a 1-D tensor. */
    public Tensor readRange(String name, long from, int count) throws IOException {
        entry(name);
        return single != null ? single.readRange(name, from, count) : sharded.readRange(name, from, count);
    }

    /**
     * Checks that every model holds the first one's tensors, no others, each with the same shape and
     * dtype: what a tensor-by-tensor merge needs. The error names the tensor and both directories.
     */
    public static void requireSameTensors(List<HfModel> models) throws FormatException {
        HfModel first = models.get(0);
        for (HfModel m : models.subList(1, models.size())) {
            for (Safetensors.Entry e : first.entries().values()) {
                Safetensors.Entry o = m.entries().get(e.name());
                String vs = " (" + first.directory + " vs " + m.directory + ")";
                if (o == null) throw new FormatException(m.directory, "has no tensor '" + e.name() + "', which " + first.directory + " has");
                if (!java.util.Arrays.equals(e.shape(), o.shape())) {
                    throw new FormatException(m.directory, "tensor '" + e.name() + "' has shape " + java.util.Arrays.toString(o.shape())
                            + ", not " + java.util.Arrays.toString(e.shape()) + vs);
                }
                if (e.dtype() != o.dtype()) {
                    throw new FormatException(m.directory, "tensor '" + e.name() + "' is " + o.dtype() + ", not " + e.dtype() + vs);
                }
            }
            for (String name : m.entries().keySet()) {
                if (!first.entries().containsKey(name)) {
                    throw new FormatException(m.directory, "has tensor '" + name + "', which " + first.directory + " has not");
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        if (single != null) single.close();
        else sharded.close();
    }
}
