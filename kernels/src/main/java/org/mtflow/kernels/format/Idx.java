package org.mtflow.kernels.format;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.mtflow.kernels.Tensor;

/**
 * The IDX format of the MNIST family (plain or gzipped): two zero bytes, a type code, the number of
 * dimensions, big-endian int32 dimensions, then big-endian row-major data. Values are converted to
 * float32 (exact for every type but int beyond 2^24 and double).
 *
 * <p>Strict: bad magic, unknown type codes, a rank of 0, negative dimensions, a declared size above
 * one tensor's limit, truncated data and trailing bytes are errors naming the file. The declared size
 * is checked against the file's size before anything is allocated (for gzip, against the most a
 * deflate stream of that size can expand to), so a corrupt header cannot cause an out-of-memory.
 * Bytes after the end of a gzip stream are ignored, as {@link GZIPInputStream} does.
 */
public final class Idx {
    /** Refuse files that declare more elements than one tensor can hold. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** Deflate expands at most 1032:1; a gzip file cannot hold more than this many bytes per byte. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    private Idx() {}

    /** The element types, by type code. */
    private enum Type {
        UBYTE(0x08, 1), BYTE(0x09, 1), SHORT(0x0B, 2), INT(0x0C, 4), FLOAT(0x0D, 4), DOUBLE(0x0E, 8);

        final int code, size;

        Type(int code, int size) {
            this.code = code;
            this.size = size;
        }

        static Type of(int code) {
            for (Type t : values()) if (t.code == code) return t;
            return null;
        }
    }

    public static Tensor read(Path file) throws IOException {
        long fileSize = Files.size(file);
        boolean gz;
        try (InputStream peek = Files.newInputStream(file)) {
            gz = peek.read() == 0x1f && peek.read() == 0x8b;
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            InputStream in = gz ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            return read(file, new DataInputStream(in), gz, fileSize);
        } catch (EOFException e) {
            throw new FormatException(file, "truncated: the " + (gz ? "gzip stream" : "file")
                    + " ends before the data its header declares");
        } catch (ZipException e) {
            throw new FormatException(file, "corrupt gzip stream: " + e.getMessage());
        }
    }

    private static Tensor read(Path file, DataInputStream in, boolean gz, long fileSize) throws IOException {
        int zero0 = in.readUnsignedByte(), zero1 = in.readUnsignedByte();
        if (zero0 != 0 || zero1 != 0) {
            throw new FormatException(file, String.format("not an IDX file (magic starts %02X %02X, not 00 00)", zero0, zero1));
        }
        int code = in.readUnsignedByte();
        Type type = Type.of(code);
        if (type == null) {
            throw new FormatException(file, String.format("unknown IDX type code 0x%02X (known: 0x08 ubyte, 0x09 byte, "
                    + "0x0B short, 0x0C int, 0x0D float, 0x0E double)", code));
        }
        int rank = in.readUnsignedByte();
        if (rank == 0) throw new FormatException(file, "IDX file declares 0 dimensions");
        int[] shape = new int[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            shape[i] = in.readInt();
            if (shape[i] < 0) throw new FormatException(file, "negative dimension " + shape[i] + " (dimension " + i + ")");
        }
        for (int d : shape) {
            n *= d;
            if (n > MAX_ELEMENTS) {
                throw new FormatException(file, "declared shape " + Arrays.toString(shape) + " exceeds " + MAX_ELEMENTS
                        + " elements, the most one tensor holds");
            }
        }
        long dataBytes = n * type.size;
        long headerBytes = 4 + 4L * rank;
        String declared = "shape " + Arrays.toString(shape) + " of " + type.name().toLowerCase() + " (" + dataBytes + " bytes of data)";
        if (!gz) {
            long have = fileSize - headerBytes;
            if (have < dataBytes) {
                throw new FormatException(file, "truncated: the header declares " + declared + " but the file holds "
                        + have + " bytes of data");
            }
            if (have > dataBytes) {
                throw new FormatException(file, (have - dataBytes) + " trailing bytes after the " + n
                        + " declared elements of " + declared);
            }
        } else if (dataBytes > fileSize * MAX_DEFLATE_RATIO) {
            throw new FormatException(file, "the header declares " + declared + ", more than a " + fileSize
                    + "-byte gzip file can hold");
        }
        float[] data = new float[(int) n];
        byte[] buf = new byte[1 << 16];
        ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.BIG_ENDIAN);
        int per = buf.length / type.size;
        for (int done = 0; done < data.length; ) {
            int k = Math.min(per, data.length - done);
            in.readFully(buf, 0, k * type.size);
            switch (type) {
                case UBYTE -> { for (int i = 0; i < k; i++) data[done + i] = buf[i] & 0xFF; }
                case BYTE -> { for (int i = 0; i < k; i++) data[done + i] = buf[i]; }
                case SHORT -> { for (int i = 0; i < k; i++) data[done + i] = bb.getShort(2 * i); }
                case INT -> { for (int i = 0; i < k; i++) data[done + i] = bb.getInt(4 * i); }
                case FLOAT -> { for (int i = 0; i < k; i++) data[done + i] = bb.getFloat(4 * i); }
                case DOUBLE -> { for (int i = 0; i < k; i++) data[done + i] = (float) bb.getDouble(8 * i); }
            }
            done += k;
        }
        if (in.read() != -1) {
            throw new FormatException(file, "trailing bytes after the " + n + " declared elements of " + declared);
        }
        return Tensor.of(data, shape);
    }
}
