package org.mtflow.kernels.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mtflow.kernels.Reference;
import org.mtflow.kernels.Tensor;

class SafetensorsTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());
    @TempDir Path dir;

    @Test
    void roundTripIsBitExact() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", Reference.random(rng, 17, 33));
        tensors.put("b", Reference.random(rng, 33));
        tensors.put("scalar", Reference.random(rng));
        tensors.put("empty", Tensor.zeros(0, 4));
        tensors.get("b").data()[3] = Float.NaN;
        tensors.get("b").data()[4] = -0f;
        Path file = dir.resolve("m.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            Safetensors.write(out, tensors, Map.of("format", "pt", "arch", "mlp"));
        }
        try (Safetensors.Reader r = Safetensors.open(file)) {
            assertEquals(Map.of("format", "pt", "arch", "mlp"), r.metadata());
            assertEquals(tensors.keySet(), r.entries().keySet());
            for (var e : tensors.entrySet()) {
                Tensor back = r.read(e.getKey());
                assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
                for (int i = 0; i < back.size(); i++) {
                    assertEquals(Float.floatToRawIntBits(e.getValue().data()[i]), Float.floatToRawIntBits(back.data()[i]),
                            e.getKey() + "[" + i + "] (seed " + SEED + ")");
                }
            }
        }
    }

    /** A file laid out by hand from the format's spec, independent of our writer. */
    @Test
    void readsIndependentlyWrittenFile() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 1);
        float[] x = new float[6];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"__metadata__\":{\"k\":\"v\"}}";
        Path file = dir.resolve("ind.safetensors");
        Files.write(file, fileOf(header, floatsLE(x)));
        try (Safetensors.Reader r = Safetensors.open(file)) {
            Tensor t = r.read("x");
            assertArrayEquals(new int[] {2, 3}, t.shape());
            assertArrayEquals(x, t.data(), 0f);
            assertEquals("v", r.metadata().get("k"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"header-too-long", "header-huge", "bad-json", "not-object", "unknown-dtype",
            "shape-mismatch", "out-of-range", "overlap", "negative-dim", "short-file", "meta-not-string"})
    void rejectsMalformedFiles(String kind) throws IOException {
        byte[] data = floatsLE(new float[] {1, 2, 3, 4});
        byte[] bytes = switch (kind) {
            case "header-too-long" -> withLength(fileOf("{}", data), 1000);
            case "header-huge" -> withLength(fileOf("{}", data), 1L << 40);
            case "bad-json" -> fileOf("{\"x\": {", data);
            case "not-object" -> fileOf("[1,2]", data);
            case "unknown-dtype" -> fileOf("{\"x\":{\"dtype\":\"Q7\",\"shape\":[4],\"data_offsets\":[0,16]}}", data);
            case "shape-mismatch" -> fileOf("{\"x\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,16]}}", data);
            case "out-of-range" -> fileOf("{\"x\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", data);
            case "overlap" -> fileOf("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                    + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", data);
            case "negative-dim" -> fileOf("{\"x\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", data);
            case "short-file" -> new byte[] {1, 2, 3};
            case "meta-not-string" -> fileOf("{\"__metadata__\":{\"a\":1}}", data);
            default -> throw new IllegalStateException(kind);
        };
        Path file = dir.resolve(kind + ".safetensors");
        Files.write(file, bytes);
        FormatException e = assertThrows(FormatException.class, () -> {
            try (Safetensors.Reader r = Safetensors.open(file)) {
                for (String name : r.entries().keySet()) r.read(name);
            }
        });
        assertTrue(e.getMessage().startsWith(file.toString()), "error names the file: " + e.getMessage());
    }

    static byte[] floatsLE(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    static byte[] fileOf(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] withLength(byte[] file, long length) {
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return file;
    }
}
