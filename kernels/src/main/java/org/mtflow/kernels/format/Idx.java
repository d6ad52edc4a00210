package org.mtflow.kernels.format;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.mtflow.kernels.Tensor;

/**
 * The IDX format of the MNIST family (plain or gzipped): two zero bytes, a type code, the number of
 * dimensions, big-endian int32 dimensions, then big-endian data. Values are converted to float32.
 * Truncated files, trailing bytes and unknown type codes are errors.
 */
public final class Idx {
    /** Refuse files that declare more elements than one tensor can hold. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private Idx() {}

    public static Tensor read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            InputStream in = (b0 == 0x1f && b1 == 0x8b) ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            return read(file, new DataInputStream(in));
        } catch (EOFException e) {
            throw new FormatException(file, "truncated: the file ends before the data its header declares");
        } catch (java.util.zip.ZipException e) {
            throw new FormatException(file, "corrupt gzip stream: " + e.getMessage());
        }
    }

    private static Tensor read(Path file, DataInputStream in) throws IOException {
        int zero0 = in.readUnsignedByte(), zero1 = in.readUnsignedByte();
        if (zero0 != 0 || zero1 != 0) throw new FormatException(file, "not an IDX file (bad magic number)");
        int type = in.readUnsignedByte();
        int rank = in.readUnsignedByte();
        if (rank == 0) throw new FormatException(file, "IDX file declares 0 dimensions");
        int[] shape = new int[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            shape[i] = in.readInt();
            if (shape[i] < 0) throw new FormatException(file, "negative dimension " + shape[i]);
            n *= shape[i];
            if (n > MAX_ELEMENTS) throw new FormatException(file, "shape " + Arrays.toString(Arrays.copyOf(shape, i + 1)) + "... exceeds 2^31 elements");
        }
        float[] data = new float[(int) n];
        switch (type) {
            case 0x08 -> {
                byte[] buf = new byte[1 << 16];
                int done = 0;
                while (done < data.length) {
                    int len = Math.min(buf.length, data.length - done);
                    in.readFully(buf, 0, len);
                    for (int i = 0; i < len; i++) data[done + i] = buf[i] & 0xFF;
                    done += len;
                }
            }
            case 0x09 -> { for (int i = 0; i < data.length; i++) data[i] = in.readByte(); }
            case 0x0B -> { for (int i = 0; i < data.length; i++) data[i] = in.readShort(); }
            case 0x0C -> { for (int i = 0; i < data.length; i++) data[i] = in.readInt(); }
            case 0x0D -> { for (int i = 0; i < data.length; i++) data[i] = in.readFloat(); }
            case 0x0E -> { for (int i = 0; i < data.length; i++) data[i] = (float) in.readDouble(); }
            default -> throw new FormatException(file, String.format("unknown IDX type code 0x%02X", type));
        }
        if (in.read() != -1) throw new FormatException(file, "trailing bytes after the " + n + " declared elements");
        return Tensor.of(data, shape);
    }
}
