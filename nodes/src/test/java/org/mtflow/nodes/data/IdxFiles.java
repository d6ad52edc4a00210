package org.mtflow.nodes.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Writes and reads unsigned-byte IDX files (the MNIST format) for tests, independently of the
 * kernels module's reader: two zero bytes, type 0x08, the rank, big-endian int32 dimensions, data.
 */
public final class IdxFiles {
    private IdxFiles() {}

    /** An unsigned-byte IDX file and its contents. */
    public record UByte(int[] dims, byte[] data) {
        public int count() { return dims[0]; }

        public int at(int i) { return data[i] & 0xFF; }
    }

    public static void write(Path file, UByte idx, boolean gzip) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream z = gzip ? new GZIPOutputStream(raw) : raw;
             DataOutputStream out = new DataOutputStream(z)) {
            out.writeByte(0);
            out.writeByte(0);
            out.writeByte(0x08);
            out.writeByte(idx.dims().length);
            for (int d : idx.dims()) out.writeInt(d);
            out.write(idx.data());
        }
    }

    public static UByte read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             DataInputStream in = new DataInputStream(file.toString().endsWith(".gz")
                     ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw)) {
            if (in.readUnsignedByte() != 0 || in.readUnsignedByte() != 0 || in.readUnsignedByte() != 0x08) {
                throw new IOException(file + ": not an unsigned-byte IDX file");
            }
            int[] dims = new int[in.readUnsignedByte()];
            long n = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = in.readInt();
                n *= dims[i];
            }
            byte[] data = new byte[Math.toIntExact(n)];
            in.readFully(data);
            if (in.read() != -1) throw new IOException(file + ": trailing bytes");
            return new UByte(dims, data);
        }
    }

    /** {@code n} random images of {@code rows × cols} pixels. */
    public static UByte randomImages(SplittableRandom rnd, int n, int rows, int cols) {
        byte[] data = new byte[n * rows * cols];
        for (int i = 0; i < data.length; i++) data[i] = (byte) rnd.nextInt(256);
        // Make sure both ends of the pixel range occur.
        if (data.length >= 2) {
            data[0] = 0;
            data[1] = (byte) 255;
        }
        return new UByte(new int[] {n, rows, cols}, data);
    }

    /** {@code n} random labels below {@code classes}. */
    public static UByte randomLabels(SplittableRandom rnd, int n, int classes) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) data[i] = (byte) rnd.nextInt(classes);
        return new UByte(new int[] {n}, data);
    }

    /** Writes a Fashion-MNIST directory: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. */
    public static void writeFashionDir(Path dir, UByte trainImages, UByte trainLabels, UByte testImages, UByte testLabels,
                                boolean gzip) throws IOException {
        Files.createDirectories(dir);
        String ext = gzip ? ".gz" : "";
        write(dir.resolve("train-images-idx3-ubyte" + ext), trainImages, gzip);
        write(dir.resolve("train-labels-idx1-ubyte" + ext), trainLabels, gzip);
        write(dir.resolve("t10k-images-idx3-ubyte" + ext), testImages, gzip);
        write(dir.resolve("t10k-labels-idx1-ubyte" + ext), testLabels, gzip);
    }

    /** Count of each label value 0..classes-1. */
    public static long[] counts(UByte labels, int classes) {
        long[] c = new long[classes];
        for (int i = 0; i < labels.count(); i++) c[labels.at(i)]++;
        return c;
    }
}
