package org.mtflow.kernels.format;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.mtflow.kernels.Tensor;

/**
 * Writes one shard of a {@link StreamingSafetensorsWriter.Layout} to a stream, front to back: the
 * header, then each tensor's elements in file order (a large one in pieces, in order). The bytes are
 * those the streaming writer puts in that shard's file, so shards written apart (say, by one task
 * each, as artifacts) and copied into a directory beside the layout's index make the same checkpoint.
 */
public final class ShardOutput {
    private static final int CHUNK_BYTES = 1 << 20;

    private final StreamingSafetensorsWriter.Shard shard;
    private final OutputStream out;
    private final ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private int tensor; // index in file order of the tensor being written
    private long written; // its elements written so far

    /** Starts shard {@code index} of the layout on {@code out} (its header is written at once). */
    public ShardOutput(StreamingSafetensorsWriter.Layout layout, int index, OutputStream out) throws IOException {
        if (index < 0 || index >= layout.shards().size()) {
            throw new IllegalArgumentException("shard " + index + " of a layout of " + layout.shards().size() + " shards");
        }
        this.shard = layout.shards().get(index);
        this.out = out;
        out.write(layout.headers().get(index));
    }

    /** The shard's tensors, in the order {@link #write} takes them. */
    public List<TensorSpec> tensors() { return shard.tensors(); }

    /**
     * Elements {@code [from, from + piece.size())} of the named tensor (row-major, the piece's shape
     * ignored), converted to its planned dtype: tensors in file order, each one's pieces in order.
     */
    public void write(String name, long from, Tensor piece) throws IOException {
        if (tensor >= shard.tensors().size()) {
            throw new IllegalStateException(shard.fileName() + ": tensor '" + name + "' after the shard's last tensor");
        }
        TensorSpec spec = shard.tensors().get(tensor);
        if (!spec.name().equals(name) || from != written) {
            throw new IllegalArgumentException(shard.fileName() + ": got tensor '" + name + "' at element " + from + " but the next bytes are '"
                    + spec.name() + "' from element " + written + "; write the shard's tensors in file order, pieces in order");
        }
        if (piece.size() > spec.elements() - from) {
            throw new IllegalArgumentException(shard.fileName() + ": a piece of " + piece.size() + " elements at " + from
                    + " runs past tensor '" + name + "''s " + spec.elements() + " elements");
        }
        float[] d = piece.data();
        for (int i = 0; i < d.length; ) {
            int n = Safetensors.encode(d, i, d.length - i, spec.dtype(), buf);
            out.write(buf.array(), 0, buf.limit());
            i += n;
        }
        written += d.length;
        if (written == spec.elements()) {
            tensor++;
            written = 0;
        }
    }

    /** Checks that every tensor of the shard was written (the stream is the caller's to close). */
    public void finish() throws IOException {
        if (tensor < shard.tensors().size()) {
            throw new IllegalStateException(shard.fileName() + ": " + (shard.tensors().size() - tensor) + " of its "
                    + shard.tensors().size() + " tensors are not written, from '" + shard.tensors().get(tensor).name() + "'");
        }
        out.flush();
    }
}
