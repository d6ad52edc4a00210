package org.mtflow.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.StreamingSafetensorsWriter;

/**
 * A model directory as an artifact. Artifacts are single files in the content-addressed store, and a
 * checkpoint of gigabytes in the Hugging Face layout is a directory other tools must read in place; so
 * the artifact is a small JSON manifest: {@code {"format": "mtflow.hf-model-dir/1", "directory":
 * "/abs/dir", "files": {"config.json": {"bytes": n, "crc32c": "…"}, …}}}. The manifest's hash stands
 * for the directory's content (same bytes, same manifest), and reading it checks that the files are
 * still there with their sizes ({@link #verify} also checks every CRC32C).
 */
public final class HfModelArtifacts {
    public static final String FORMAT = "mtflow.hf-model-dir/1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfModelArtifacts() {}

    /** Writes the manifest of {@code dir} with the given files' CRC32C (by file name) as output {@code output}. */
    public static ArtifactRef write(TaskContext<?> ctx, String output, Path dir, Map<String, String> crc32c) throws IOException {
        byte[] bytes = manifest(dir, crc32c);
        return ctx.output(output, out -> out.write(bytes));
    }

    static byte[] manifest(Path dir, Map<String, String> crc32c) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        ObjectNode m = JSON.createObjectNode();
        m.put("format", FORMAT);
        m.put("directory", abs.toString());
        ObjectNode files = m.putObject("files");
        for (var e : crc32c.entrySet()) {
            files.putObject(e.getKey()).put("bytes", Files.size(abs.resolve(e.getKey()))).put("crc32c", e.getValue());
        }
        return JSON.writeValueAsBytes(m);
    }

    /** Whether an artifact file is a manifest (JSON) rather than a safetensors file (8-byte header length first). */
    public static boolean isManifest(Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            int b;
            while ((b = in.read()) == ' ' || b == '\n' || b == '\r' || b == '\t') { }
            return b == '{';
        }
    }

    /** The directory a manifest names, once its files are checked to be there with their recorded sizes. */
    public static Path directory(Path manifest) throws IOException {
        return check(manifest, false);
    }

    /** As {@link #directory}, also checking every file's CRC32C (reads the whole model). */
    public static Path verify(Path manifest) throws IOException {
        return check(manifest, true);
    }

    /** Opens the model a manifest names (sizes checked). */
    public static HfModel open(Path manifest) throws IOException {
        return HfModel.open(directory(manifest));
    }

    private static Path check(Path manifest, boolean checksums) throws IOException {
        JsonNode m;
        try {
            m = JSON.readTree(manifest.toFile());
        } catch (IOException e) {
            throw new FormatException(manifest, "not a model-directory manifest (" + FORMAT + "): " + e.getMessage());
        }
        if (m == null || !FORMAT.equals(m.path("format").asText()) || !m.path("directory").isTextual() || !m.path("files").isObject()) {
            throw new FormatException(manifest, "not a model-directory manifest: it needs \"format\": \"" + FORMAT
                    + "\", \"directory\" and \"files\"");
        }
        Path dir = Path.of(m.get("directory").asText());
        String redo = "; the directory changed since the task that wrote it ran: run that task again (mtflow run --no-cache, or delete "
                + dir + ")";
        for (var f : m.get("files").properties()) {
            Path file = dir.resolve(f.getKey());
            long want = f.getValue().path("bytes").asLong(-1);
            if (!Files.isRegularFile(file)) throw new FormatException(dir, f.getKey() + " is missing" + redo);
            long size = Files.size(file);
            if (size != want) throw new FormatException(dir, f.getKey() + " has " + size + " bytes, the manifest " + want + redo);
            if (checksums) {
                String crc = StreamingSafetensorsWriter.crc32c(file);
                if (!crc.equals(f.getValue().path("crc32c").asText())) {
                    throw new FormatException(dir, f.getKey() + " has CRC32C " + crc + ", the manifest "
                            + f.getValue().path("crc32c").asText() + redo);
                }
            }
        }
        return dir;
    }
}
