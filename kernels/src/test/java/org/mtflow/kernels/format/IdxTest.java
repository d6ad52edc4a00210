package org.mtflow.kernels.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;

class IdxTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());
    @TempDir Path dir;

    static byte[] idxUbyte(int[] shape, byte[] values) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {0, 0, 0x08, (byte) shape.length});
        for (int d : shape) out.writeInt(d);
        out.write(values);
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }

    @Test
    void readsPlainAndGzippedUbyte() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED);
        byte[] values = new byte[3 * 5 * 4];
        for (int i = 0; i < values.length; i++) values[i] = (byte) rng.nextInt(256);
        byte[] raw = idxUbyte(new int[] {3, 5, 4}, values);
        for (boolean gz : new boolean[] {false, true}) {
            Path f = dir.resolve(gz ? "x.gz" : "x");
            Files.write(f, gz ? gzip(raw) : raw);
            Tensor t = Idx.read(f);
            assertArrayEquals(new int[] {3, 5, 4}, t.shape());
            for (int i = 0; i < values.length; i++) assertEquals(values[i] & 0xFF, t.data()[i], 0f, "element " + i);
        }
    }

    @Test
    void readsBigEndianFloats() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {0, 0, 0x0D, 1});
        out.writeInt(3);
        out.writeFloat(1.5f);
        out.writeFloat(-2f);
        out.writeFloat(1e-3f);
        Path f = dir.resolve("f");
        Files.write(f, bytes.toByteArray());
        assertArrayEquals(new float[] {1.5f, -2f, 1e-3f}, Idx.read(f).data(), 0f);
    }

    @Test
    void rejectsMalformed() throws IOException {
        byte[] good = idxUbyte(new int[] {2, 2}, new byte[] {1, 2, 3, 4});
        byte[][] bad = {
            Arrays.copyOf(good, good.length - 1), // truncated
            Arrays.copyOf(good, good.length + 1), // trailing byte
            {1, 0, 8, 1, 0, 0, 0, 1, 0}, // bad magic
            {0, 0, 0x42, 1, 0, 0, 0, 1, 0}, // unknown type
            {0, 0, 8, 2, 0x7f, 0, 0, 0, 0x7f, 0, 0, 0}, // absurd size
            {0x1f, (byte) 0x8b, 8, 0, 1, 2}, // corrupt gzip
        };
        for (int i = 0; i < bad.length; i++) {
            Path f = dir.resolve("bad" + i);
            Files.write(f, bad[i]);
            FormatException e = assertThrows(FormatException.class, () -> Idx.read(f), "case " + i);
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        }
    }
}
