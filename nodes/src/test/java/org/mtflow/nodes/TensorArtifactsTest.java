package org.mtflow.nodes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;

class TensorArtifactsTest {
    @TempDir Path dir;

    private Path write(String name, Map<String, Tensor> tensors) throws Exception {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            Safetensors.write(out, tensors, Map.of());
        }
        return file;
    }

    @Test
    void readsTheTensorEntry() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(3, 1 + rnd.nextInt(9), 2);
        for (int i = 0; i < t.size(); i++) t.data()[i] = (float) rnd.nextGaussian();
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("other", Tensor.zeros(2));
        m.put(TensorArtifacts.ENTRY, t);
        Tensor back = TensorArtifacts.read(write("t.safetensors", m));
        assertArrayEquals(t.shape(), back.shape(), "seed=" + seed);
        assertArrayEquals(t.data(), back.data(), "seed=" + seed);
    }

    @Test
    void rejectsASafetensorsFileWithoutATensorEntry() throws Exception {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("weights", Tensor.zeros(2, 2));
        m.put("bias", Tensor.zeros(2));
        Path file = write("w.safetensors", m);
        FormatException e = assertThrows(FormatException.class, () -> TensorArtifacts.read(file));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(file.toString()), msg);
        assertTrue(msg.contains("not a tensor artifact") && msg.contains("'tensor'"), msg);
        assertTrue(msg.contains("weights") && msg.contains("bias"), msg + " should list the entries found");
    }

    @Test
    void rejectsAnEmptySafetensorsFileAndAFileThatIsNotSafetensors() throws Exception {
        Path empty = write("empty.safetensors", Map.of());
        assertThrows(FormatException.class, () -> TensorArtifacts.read(empty));
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello, not a tensor");
        FormatException e = assertThrows(FormatException.class, () -> TensorArtifacts.read(text));
        assertTrue(e.getMessage().contains(text.toString()), e.getMessage());
    }

    @Test
    void aNodeGivenADatasetInsteadOfATensorFailsNamingTheProblem(@TempDir Path home, @TempDir Path data)
            throws Exception {
        // A one-image dataset, so the wiring mistake is the only thing that can fail. Wired straight
        // to util.sum the validator refuses it (a dataset into a tensor input); through a
        // pass-through (util.noop gives 'any') only the node itself can tell.
        IdxLike.writeTinyFashion(data);
        try (NodeRuns runs = new NodeRuns(home)) {
            NodeRuns.Run run = runs.run(Workflows.named("wrong-input", 1)
                    .task("f", "data.fashion-mnist").with("dir", data.toString())
                    .task("p", "util.noop").inputs("x", "f.dataset")
                    .task("s", "util.sum").inputs("values", "p.out").build());
            assertEquals("failed", run.status("s"), run.report().toString());
            String error = run.task("s").path("error").asText();
            assertTrue(error.contains("not a tensor artifact") && error.contains("train.x"), error);
        }
    }

    /** Writes a minimal Fashion-MNIST directory: one 1×1 image per split. */
    static final class IdxLike {
        static void writeTinyFashion(Path dir) throws Exception {
            for (String split : List.of("train", "t10k")) {
                writeGz(dir.resolve(split + "-images-idx3-ubyte.gz"), new byte[] {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7});
                writeGz(dir.resolve(split + "-labels-idx1-ubyte.gz"), new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 2});
            }
        }

        private static void writeGz(Path file, byte[] bytes) throws Exception {
            try (OutputStream out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(file))) {
                out.write(bytes);
            }
        }
    }
}
