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
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mtflow.kernels.Tensor;

class IdxTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());
    @TempDir Path dir;

    /** An IDX header: magic 00 00, type code, rank, big-endian dimensions. */
    static byte[] header(int type, int... shape) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {0, 0, (byte) type, (byte) shape.length});
        for (int d : shape) out.writeInt(d);
        return bytes.toByteArray();
    }

    static byte[] idxUbyte(int[] shape, byte[] values) throws IOException {
        return SafetensorsTest.concat(header(0x08, shape), values);
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
            for (int i = 0; i < values.length; i++) assertEquals(values[i] & 0xFF, t.data()[i], 0f, "element " + i + " seed " + SEED);
        }
    }

    /** Every type code, big-endian, with random values; larger than one read buffer so blocks are crossed. */
    @ParameterizedTest(name = "type 0x{0}")
    @ValueSource(ints = {0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E})
    void readsEveryTypeCodeBigEndian(int type) throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + type);
        int n = 70_000;
        float[] want = new float[n];
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(header(type, 7, 10_000, 1));
        for (int i = 0; i < n; i++) {
            switch (type) {
                case 0x08 -> { int v = rng.nextInt(256); out.writeByte(v); want[i] = v; }
                case 0x09 -> { int v = rng.nextInt(-128, 128); out.writeByte(v); want[i] = v; }
                case 0x0B -> { int v = rng.nextInt(-32768, 32768); out.writeShort(v); want[i] = v; }
                case 0x0C -> { int v = rng.nextInt(); out.writeInt(v); want[i] = v; }
                case 0x0D -> { float v = Float.intBitsToFloat(rng.nextInt()); out.writeFloat(v); want[i] = v; }
                case 0x0E -> { double v = rng.nextGaussian() * 1e5; out.writeDouble(v); want[i] = (float) v; }
                default -> throw new IllegalStateException();
            }
        }
        byte[] raw = bytes.toByteArray();
        for (boolean gz : new boolean[] {false, true}) {
            Path f = dir.resolve("t" + type + (gz ? ".gz" : ""));
            Files.write(f, gz ? gzip(raw) : raw);
            Tensor t = Idx.read(f);
            assertArrayEquals(new int[] {7, 10_000, 1}, t.shape());
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(want[i]) && Float.isNaN(t.data()[i])) continue;
                assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(t.data()[i]), "element " + i + " (seed " + SEED + ")");
            }
        }
    }

    static Stream<Arguments> malformed() throws IOException {
        byte[] good = idxUbyte(new int[] {2, 2}, new byte[] {1, 2, 3, 4});
        byte[] corruptCrc = gzip(good);
        corruptCrc[corruptCrc.length - 6] ^= 0x55; // the CRC-32 in the gzip trailer
        byte[] gz = gzip(good);
        return Stream.of(
                Arguments.of("empty", new byte[0], "truncated"),
                Arguments.of("bad-magic", new byte[] {1, 0, 8, 1, 0, 0, 0, 1, 0}, "not an IDX file"),
                Arguments.of("unknown-type", new byte[] {0, 0, 0x42, 1, 0, 0, 0, 1, 0}, "unknown IDX type code 0x42"),
                Arguments.of("zero-dimensions", new byte[] {0, 0, 8, 0}, "0 dimensions"),
                Arguments.of("negative-dimension", header(0x08, 2, -3), "negative dimension -3"),
                Arguments.of("size-overflow", header(0x08, 0x7f000000, 0x7f000000), "exceeds"),
                Arguments.of("truncated-header", Arrays.copyOf(good, 6), "truncated"),
                Arguments.of("truncated-data", Arrays.copyOf(good, good.length - 1), "truncated"),
                Arguments.of("huge-claim-tiny-file", header(0x0E, 100_000, 10_000), "truncated: the header declares"),
                Arguments.of("trailing-byte", Arrays.copyOf(good, good.length + 1), "trailing bytes"),
                Arguments.of("gz-truncated-data", gzip(Arrays.copyOf(good, good.length - 1)), "truncated"),
                Arguments.of("gz-trailing-byte", gzip(Arrays.copyOf(good, good.length + 1)), "trailing bytes"),
                Arguments.of("gz-huge-claim", gzip(header(0x0D, 100_000, 10_000)), "more than a"),
                Arguments.of("gz-cut-short", Arrays.copyOf(gz, gz.length - 10), "truncated"),
                Arguments.of("gz-bad-crc", corruptCrc, "corrupt gzip"),
                Arguments.of("gz-header-cut", new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2}, "truncated: the gzip stream"),
                Arguments.of("gz-not-deflate", new byte[] {0x1f, (byte) 0x8b, 9, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3}, "corrupt gzip"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsMalformed(String kind, byte[] bytes, String mustSay) throws IOException {
        Path f = dir.resolve(kind);
        Files.write(f, bytes);
        FormatException e = assertThrows(FormatException.class, () -> Idx.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), "error names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(mustSay), "error says '" + mustSay + "': " + e.getMessage());
    }

    /** The real data set, where the Debian package is installed. */
    @Test
    void readsFashionMnist() throws IOException {
        Path d = Path.of("/usr/share/datasets/fashion-mnist");
        Path images = d.resolve("t10k-images-idx3-ubyte.gz"), labels = d.resolve("t10k-labels-idx1-ubyte.gz");
        Assumptions.assumeTrue(Files.isReadable(images) && Files.isReadable(labels), "dataset-fashion-mnist not installed");
        Tensor x = Idx.read(images), y = Idx.read(labels);
        assertArrayEquals(new int[] {10_000, 28, 28}, x.shape());
        assertArrayEquals(new int[] {10_000}, y.shape());
        int[] counts = new int[10];
        for (float v : y.data()) counts[(int) v]++;
        for (int c : counts) assertEquals(1000, c, "10 balanced classes");
        float max = 0;
        for (float v : x.data()) max = Math.max(max, v);
        assertEquals(255f, max);
    }
}
