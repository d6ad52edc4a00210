package org.mtflow.nodes.util;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.NoParams;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.nodes.TensorArtifacts;

/** Does nothing: passes its first input through as {@code out}, or an empty tensor without inputs. */
public final class NoopNode implements NodeType<NoParams> {
    public static final Port OUT = Port.one("out", "the first input, unchanged, or an empty tensor");

    @Override public String name() { return "util.noop"; }
    @Override public String description() { return "Passes its first input through unchanged (for wiring and dry runs)."; }
    @Override public Class<NoParams> paramsType() { return NoParams.class; }

    /**
     * Not worth caching: running it (a pass-through the store dedups in memory) costs less than a
     * cache lookup and a cache entry per task. Resume still never reruns it: the journal records it.
     */
    @Override public boolean cacheable() { return false; }
    /** A pass-through: on small inputs the worker runs it on its own thread (see NodeType.trivial). */
    @Override public boolean trivial() { return true; }
    @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "any artifacts; the first is passed through")); }
    @Override public List<Port> outputs() { return List.of(OUT); }

    @Override
    public void run(TaskContext<NoParams> ctx) throws Exception {
        passThrough(ctx);
    }

    /** Also the success path of util.sleep and util.flaky. */
    static void passThrough(TaskContext<?> ctx) throws Exception {
        List<ArtifactRef> refs = ctx.hasInput("x") ? ctx.inputRefs("x") : List.of();
        if (!refs.isEmpty()) {
            Path first = ctx.artifact(refs.get(0)); // only the one passed on is read (and verified)
            if (refs.get(0).size() <= SMALL) {
                byte[] bytes = Files.readAllBytes(first); // exactly its size: no copy buffer per task
                ctx.output(OUT.name(), out -> out.write(bytes));
            } else {
                ctx.output(OUT.name(), out -> Files.copy(first, out));
            }
        } else {
            ctx.output(OUT.name(), out -> out.write(EMPTY));
        }
    }

    private static final long SMALL = 64 << 10;

    /** The empty tensor artifact: the same bytes every time, encoded once. */
    private static final byte[] EMPTY = emptyTensor();

    private static byte[] emptyTensor() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Safetensors.write(out, Map.of(TensorArtifacts.ENTRY, Tensor.zeros(0)), Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
