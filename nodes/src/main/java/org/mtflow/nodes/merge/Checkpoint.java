package org.mtflow.nodes.merge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.format.ShardedSafetensors;
import org.mtflow.nodes.HfModelArtifacts;

/**
 * A checkpoint opened for reading one tensor at a time: a safetensors file, a sharded one (a
 * directory holding {@code model.safetensors.index.json}, or that index file), or a Hugging Face
 * model directory named by a manifest ({@link HfModelArtifacts}, from model.hf or
 * data.synthetic-checkpoint).
 */
interface Checkpoint extends AutoCloseable {
    Path path();

    Map<String, Safetensors.Entry> entries();

    Map<String, String> metadata();

    /** The model directory's config.json, or null for a bare safetensors checkpoint. */
    default Path configFile() { return null; }

    /** The named tensor as float32. */
    Tensor read(String name) throws IOException;

    /** Elements {@code [from, from + count)} of the named tensor (row-major), as a 1-D float32 tensor. */
    Tensor readRange(String name, long from, int count) throws IOException;

    @Override
    void close() throws IOException;

    static Checkpoint open(Path path) throws IOException {
        if (HfModelArtifacts.isManifest(path)) {
            HfModel m = HfModelArtifacts.open(path);
            return new Checkpoint() {
                public Path path() { return m.directory(); }
                public Map<String, Safetensors.Entry> entries() { return m.entries(); }
                public Map<String, String> metadata() { return m.metadata(); }
                public Path configFile() { return m.configFile(); }
                public Tensor read(String name) throws IOException { return m.read(name); }
                public Tensor readRange(String name, long from, int count) throws IOException { return m.readRange(name, from, count); }
                public void close() throws IOException { m.close(); }
            };
        }
        if (Files.isDirectory(path) || path.getFileName().toString().endsWith(".index.json")) {
            ShardedSafetensors s = ShardedSafetensors.open(path);
            return new Checkpoint() {
                public Path path() { return path; }
                public Map<String, Safetensors.Entry> entries() { return s.entries(); }
                public Map<String, String> metadata() { return s.metadata(); }
                public Tensor read(String name) throws IOException { return s.read(name); }
                public Tensor readRange(String name, long from, int count) throws IOException { return s.readRange(name, from, count); }
                public void close() throws IOException { s.close(); }
            };
        }
        Safetensors.Reader r = Safetensors.open(path);
        return new Checkpoint() {
            public Path path() { return path; }
            public Map<String, Safetensors.Entry> entries() { return r.entries(); }
            public Map<String, String> metadata() { return r.metadata(); }
            public Tensor read(String name) throws IOException { return r.read(name); }
            public Tensor readRange(String name, long from, int count) throws IOException { return r.readRange(name, from, count); }
            public void close() throws IOException { r.close(); }
        };
    }
}
