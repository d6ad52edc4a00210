package org.mtflow.nodes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;

/**
 * A tensor artifact is a safetensors file holding one F32 tensor named {@code tensor}: the format
 * every tool reads, and a single-entry file hashes the same whichever node wrote it.
 */
public final class TensorArtifacts {
    public static final String ENTRY = "tensor";

    private TensorArtifacts() {}

    public static ArtifactRef write(TaskContext<?> ctx, String output, Tensor tensor) throws IOException {
        Map<String, Tensor> one = new LinkedHashMap<>();
        one.put(ENTRY, tensor);
        return ctx.output(output, out -> Safetensors.write(out, one, Map.of()));
    }

    public static Tensor read(Path file) throws IOException {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            if (!r.entries().containsKey(ENTRY)) {
                throw new FormatException(file, "not a tensor artifact (no entry '" + ENTRY + "'; entries: "
                        + r.entries().keySet() + ")");
            }
            return r.read(ENTRY);
        }
    }
}
