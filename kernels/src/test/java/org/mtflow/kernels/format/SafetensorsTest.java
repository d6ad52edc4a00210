package org.mtflow.kernels.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.mtflow.kernels.Reference;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.io.AtomicFiles;

class SafetensorsTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());
    @TempDir Path dir;

    /** Random data with the values conversions get wrong: NaN, ±0, ±inf, subnormals, huge and tiny. */
    static Tensor spicy(SplittableRandom rng, int... shape) {
        Tensor t = Reference.random(rng, shape);
        float[] d = t.data();
        float[] special = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
                1e-6f, -3e-8f, 65504f, 70000f, -1e30f, Float.MAX_VALUE, 1f / 3};
        for (int i = 0; i < d.length; i++) {
            switch (rng.nextInt(4)) {
                case 0 -> d[i] = special[rng.nextInt(special.length)];
                case 1 -> d[i] = Float.intBitsToFloat(rng.nextInt());
                default -> { }
            }
        }
        return t;
    }

    /** What a tensor stored as {@code dtype} must read back as. */
    static float expected(float x, Dtype dtype) {
        return switch (dtype) {
            case F32 -> x;
            case F64 -> (float) (double) x;
            case F16 -> HalfConversions.halfToFloat(HalfConversions.floatToHalf(x));
            case BF16 -> HalfConversions.bf16ToFloat(HalfConversions.floatToBf16(x));
            default -> throw new IllegalArgumentException(dtype.name());
        };
    }

    static void assertBits(float want, float got, String what) {
        if (Float.isNaN(want) && Float.isNaN(got)) return; // NaN payloads are checked in HalfConversionsTest
        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what + " (seed " + SEED + ")");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Dtype.class, names = {"F32", "F16", "BF16", "F64"})
    void roundTripIsBitExact(Dtype dtype) throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + dtype.ordinal());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", spicy(rng, 17, 33));
        tensors.put("b", spicy(rng, 33));
        tensors.put("odd", spicy(rng, 3, 1, 5));
        tensors.put("scalar", spicy(rng));
        tensors.put("empty", Tensor.zeros(0, 4));
        Safetensors.Writer w = Safetensors.writer().metadata("format", "pt").metadata("arch", "mlp");
        tensors.forEach((k, v) -> w.put(k, v, dtype));
        Path file = dir.resolve("m.safetensors");
        w.writeFile(file);
        for (int window : new int[] {1 << 30, 8, 24}) { // small windows split tensors across mappings
            try (Safetensors.Reader r = Safetensors.open(file, window)) {
                assertEquals(Map.of("format", "pt", "arch", "mlp"), r.metadata());
                assertEquals(tensors.keySet(), r.entries().keySet());
                for (var e : tensors.entrySet()) {
                    assertEquals(dtype, r.entry(e.getKey()).dtype());
                    Tensor back = r.read(e.getKey());
                    assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
                    for (int i = 0; i < back.size(); i++) {
                        assertBits(expected(e.getValue().data()[i], dtype), back.data()[i], dtype + " " + e.getKey() + "[" + i + "]");
                    }
                }
            }
        }
        // The stored bytes are the conversions, little-endian, in the data section.
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = b.getLong(0);
        assertEquals(0, headerLen % 8, "header padded to 8 bytes");
        try (Safetensors.Reader r = Safetensors.open(file)) {
            Safetensors.Entry e = r.entry("w");
            int pos = (int) (8 + headerLen + e.begin());
            float x = tensors.get("w").data()[5];
            switch (dtype) {
                case F16 -> assertEquals(HalfConversions.floatToHalf(x), b.getShort(pos + 10));
                case BF16 -> assertEquals(HalfConversions.floatToBf16(x), b.getShort(pos + 10));
                case F32 -> assertEquals(Float.floatToRawIntBits(x), b.getInt(pos + 20));
                case F64 -> assertEquals(Double.doubleToRawLongBits(x), b.getLong(pos + 40));
                default -> throw new IllegalStateException();
            }
        }
    }

    @Test
    void mixedDtypesInOneFileAreEachAlignedAndReadBack() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 100);
        Dtype[] types = {Dtype.BF16, Dtype.F32, Dtype.F16, Dtype.F64, Dtype.BF16, Dtype.F32};
        Safetensors.Writer w = Safetensors.writer();
        List<Tensor> ts = new ArrayList<>();
        for (int i = 0; i < types.length; i++) {
            Tensor t = spicy(rng, 1 + rng.nextInt(7), 1 + rng.nextInt(5)); // odd sizes: 16-bit tensors end mid-word
            ts.add(t);
            w.put("t" + i, t, types[i]);
        }
        Path file = dir.resolve("mixed.safetensors");
        w.writeFile(file);
        try (Safetensors.Reader r = Safetensors.open(file)) {
            for (int i = 0; i < types.length; i++) {
                Safetensors.Entry e = r.entry("t" + i);
                assertEquals(types[i], e.dtype());
                assertEquals(0, e.begin() % (types[i].bits() / 8), "t" + i + " aligned to its element size");
                Tensor back = r.read("t" + i);
                for (int k = 0; k < back.size(); k++) assertBits(expected(ts.get(i).data()[k], types[i]), back.data()[k], "t" + i + "[" + k + "]");
            }
        }
    }

    @Test
    void theStreamApiWritesF32AndTheSameCallsGiveTheSameBytes() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 2);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Reference.random(rng, 4, 3));
        tensors.put("b", Reference.random(rng, 2));
        Map<String, String> m1 = new LinkedHashMap<>();
        m1.put("x", "1");
        m1.put("y", "2");
        Map<String, String> m2 = new LinkedHashMap<>();
        m2.put("y", "2");
        m2.put("x", "1");
        ByteArrayOutputStream o1 = new ByteArrayOutputStream(), o2 = new ByteArrayOutputStream();
        Safetensors.write(o1, tensors, m1);
        Safetensors.write(o2, tensors, m2);
        assertArrayEquals(o1.toByteArray(), o2.toByteArray(), "metadata order does not change the bytes");
        Path file = dir.resolve("s.safetensors");
        Files.write(file, o1.toByteArray());
        try (Safetensors.Reader r = Safetensors.open(file)) {
            assertEquals(Dtype.F32, r.entry("a").dtype());
            assertArrayEquals(tensors.get("a").data(), r.read("a").data(), 0f);
        }
        Path viaFile = dir.resolve("f.safetensors");
        Safetensors.writeFile(viaFile, tensors, m1);
        assertArrayEquals(o1.toByteArray(), Files.readAllBytes(viaFile));
    }

    @Test
    void writerRejectsMisuse() {
        Tensor t = Tensor.zeros(2);
        assertThrows(IllegalArgumentException.class, () -> Safetensors.writer().put("__metadata__", t));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.writer().put("a", t).put("a", t));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.writer().put("a", t, Dtype.I8));
        assertTrue(e.getMessage().contains("I8"), e.getMessage());
    }

    // ------------------------------------------------------------------ independent fixtures

    /** A minimal writer from the spec: LE u64 header length, the JSON header as given, the data. */
    static byte[] fileOf(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] floatsLE(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    static byte[] shortsLE(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int s : v) b.putShort((short) s);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    /** F32, F16 and BF16 laid out by hand; header order differs from data order; padded header; scalar; empty. */
    @Test
    void readsIndependentlyWrittenFile() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 1);
        float[] x = new float[6];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        int[] half = new int[5], bf = new int[4];
        for (int i = 0; i < half.length; i++) {
            do half[i] = rng.nextInt(1 << 16); while ((half[i] & 0x7C00) == 0x7C00); // finite halves
        }
        half[0] = 0x3C00; // 1.0
        half[1] = 0x8001; // -2^-24, the least subnormal
        for (int i = 0; i < bf.length; i++) {
            do bf[i] = rng.nextInt(1 << 16); while ((bf[i] & 0x7F80) == 0x7F80);
        }
        bf[0] = 0xC040; // -3.0
        float scalar = 42.5f;
        byte[] data = concat(floatsLE(x), floatsLE(new float[] {scalar}), shortsLE(half), shortsLE(bf));
        // offsets: x [0,24) scalar [24,28) half [28,38) empty [38,38) bf [38,46)
        String header = "{\"__metadata__\":{\"k\":\"v\",\"format\":\"pt\"},"
                + "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[38,46]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[28,38]},"
                + "\"empty\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[38,38]},"
                + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[24,28]}}     ";
        Path file = dir.resolve("ind.safetensors");
        Files.write(file, fileOf(header, data));
        try (Safetensors.Reader r = Safetensors.open(file)) {
            assertEquals(List.of("bf", "x", "h", "empty", "s"), List.copyOf(r.entries().keySet()), "header order");
            assertEquals(Map.of("k", "v", "format", "pt"), r.metadata());
            Tensor t = r.read("x");
            assertArrayEquals(new int[] {2, 3}, t.shape());
            assertArrayEquals(x, t.data(), 0f);
            Tensor s = r.read("s");
            assertArrayEquals(new int[0], s.shape());
            assertEquals(scalar, s.data()[0]);
            Tensor h = r.read("h");
            for (int i = 0; i < half.length; i++) {
                assertEquals(HalfConversionsTest.halfValue(half[i]), (double) h.data()[i], 0.0, "half " + Integer.toHexString(half[i]) + " seed " + SEED);
            }
            assertEquals(1f, h.data()[0]);
            assertEquals(-0x1p-24f, h.data()[1]);
            Tensor b = r.read("bf");
            assertArrayEquals(new int[] {2, 2}, b.shape());
            for (int i = 0; i < bf.length; i++) {
                assertEquals(Float.intBitsToFloat(bf[i] << 16), b.data()[i], 0f, "bf16 " + Integer.toHexString(bf[i]) + " seed " + SEED);
            }
            assertEquals(-3f, b.data()[0]);
            assertArrayEquals(new int[] {0, 3}, r.read("empty").shape());
        }
    }

    /** Every other readable dtype, with values chosen so the expected float is known exactly. */
    @Test
    void readsIntegerBoolAndOtherFloatDtypesAsFloat32() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        StringBuilder h = new StringBuilder("{");
        Map<String, float[]> want = new LinkedHashMap<>();
        record T(String name, Dtype dtype, float[] values, java.util.function.Consumer<ByteBuffer> put) {}
        List<T> ts = List.of(
                new T("f64", Dtype.F64, new float[] {1.5f, (float) 0.1, -0f}, b -> b.putDouble(1.5).putDouble(0.1).putDouble(-0.0)),
                new T("i64", Dtype.I64, new float[] {-5f, 9.223372E18f}, b -> b.putLong(-5).putLong(Long.MAX_VALUE)),
                new T("u64", Dtype.U64, new float[] {1.8446744E19f}, b -> b.putLong(-1)),
                new T("i32", Dtype.I32, new float[] {-2147483648f, 7f}, b -> b.putInt(Integer.MIN_VALUE).putInt(7)),
                new T("u32", Dtype.U32, new float[] {4294967295f}, b -> b.putInt(-1)),
                new T("i16", Dtype.I16, new float[] {-32768f, 3f}, b -> b.putShort((short) -32768).putShort((short) 3)),
                new T("u16", Dtype.U16, new float[] {65535f}, b -> b.putShort((short) -1)),
                new T("i8", Dtype.I8, new float[] {-128f, 127f}, b -> b.put((byte) -128).put((byte) 127)),
                new T("u8", Dtype.U8, new float[] {255f, 0f}, b -> b.put((byte) 255).put((byte) 0)),
                new T("bool", Dtype.BOOL, new float[] {1f, 0f, 1f}, b -> b.put((byte) 1).put((byte) 0).put((byte) 1)),
                new T("e4m3", Dtype.F8_E4M3, new float[] {448f, -1f, 0x1p-9f}, b -> b.put((byte) 0x7E).put((byte) 0xB8).put((byte) 0x01)),
                new T("e5m2", Dtype.F8_E5M2, new float[] {57344f, 1f}, b -> b.put((byte) 0x7B).put((byte) 0x3C)),
                new T("e8m0", Dtype.F8_E8M0, new float[] {1f, 0x1p-127f}, b -> b.put((byte) 0x7F).put((byte) 0x00)));
        for (T t : ts) {
            int begin = d.position();
            t.put().accept(d);
            if (h.length() > 1) h.append(',');
            h.append("\"").append(t.name()).append("\":{\"dtype\":\"").append(t.dtype()).append("\",\"shape\":[")
                    .append(t.values().length).append("],\"data_offsets\":[").append(begin).append(',').append(d.position()).append("]}");
            want.put(t.name(), t.values());
        }
        h.append('}');
        byte[] data = java.util.Arrays.copyOf(d.array(), d.position());
        Path file = dir.resolve("types.safetensors");
        Files.write(file, fileOf(h.toString(), data));
        try (Safetensors.Reader r = Safetensors.open(file, 8)) {
            for (T t : ts) {
                assertEquals(t.dtype(), r.entry(t.name()).dtype());
                float[] got = r.read(t.name()).data();
                for (int i = 0; i < got.length; i++) assertBits(t.values()[i], got[i], t.name() + "[" + i + "]");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Dtype.class, names = {"F4", "F6_E2M3", "F6_E3M2", "C64"})
    void recognisesButRefusesToConvertPackedAndComplexDtypes(Dtype dtype) throws IOException {
        int elements = 8; // 4, 6 bytes for packed types, 64 for C64
        int bytes = elements * dtype.bits() / 8;
        String header = "{\"q\":{\"dtype\":\"" + dtype + "\",\"shape\":[2,4],\"data_offsets\":[0," + bytes + "]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" + bytes + "," + (bytes + 4) + "]}}";
        Path file = dir.resolve(dtype + ".safetensors");
        Files.write(file, fileOf(header, concat(new byte[bytes], floatsLE(new float[] {2f}))));
        try (Safetensors.Reader r = Safetensors.open(file)) {
            assertEquals(dtype, r.entry("q").dtype());
            assertEquals(2f, r.read("f").data()[0]);
            FormatException e = assertThrows(FormatException.class, () -> r.read("q"));
            assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains("'q'")
                    && e.getMessage().contains(dtype.name()) && e.getMessage().contains("cannot be read"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ malformed files

    private static final byte[] DATA16 = floatsLE(new float[] {1, 2, 3, 4});

    static String x(String dtype, String shape, String offsets) {
        return "{\"x\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
    }

    /** One malformed file per rule: its bytes, and words the error must contain. */
    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("short-file", new byte[] {1, 2, 3}, "too short"),
                Arguments.of("header-past-end", withLength(fileOf("{}", DATA16), 1000), "runs past the end"),
                Arguments.of("header-above-100MB", withLength(fileOf("{}", DATA16), 100_000_001L), "above the format's limit"),
                Arguments.of("header-length-u64-huge", withLength(fileOf("{}", DATA16), -2L), "above the format's limit"),
                Arguments.of("header-too-small", withLength(fileOf("{}", DATA16), 1), "too short for a JSON object"),
                Arguments.of("header-not-utf8", breakUtf8(fileOf("{\"\u00e9\":1}", new byte[0])), "not valid UTF-8"),
                Arguments.of("header-not-brace", fileOf(" {}", new byte[0]), "does not start with '{'"),
                Arguments.of("header-array", fileOf("[1,2]", DATA16), "does not start with '{'"),
                Arguments.of("bad-json", fileOf("{\"x\": {", DATA16), "not valid JSON"),
                Arguments.of("json-trailing-value", fileOf("{} {}", new byte[0]), "not valid JSON"),
                Arguments.of("duplicate-name", fileOf("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", DATA16), "duplicate"),
                Arguments.of("entry-not-object", fileOf("{\"x\":[1]}", DATA16), "not an object"),
                Arguments.of("missing-dtype", fileOf("{\"x\":{\"shape\":[4],\"data_offsets\":[0,16]}}", DATA16), "no dtype"),
                Arguments.of("dtype-not-string", fileOf(x("7", "[4]", "[0,16]"), DATA16), "no dtype"),
                Arguments.of("unknown-dtype", fileOf(x("\"Q7\"", "[4]", "[0,16]"), DATA16), "unknown dtype 'Q7'"),
                Arguments.of("missing-shape", fileOf("{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", DATA16), "no shape"),
                Arguments.of("shape-not-array", fileOf(x("\"F32\"", "4", "[0,16]"), DATA16), "no shape"),
                Arguments.of("dim-not-integer", fileOf(x("\"F32\"", "[2.5]", "[0,16]"), DATA16), "not an integer"),
                Arguments.of("negative-dim", fileOf(x("\"F32\"", "[-4]", "[0,16]"), DATA16), "negative dimension"),
                Arguments.of("dim-above-int", fileOf(x("\"F32\"", "[4294967296]", "[0,16]"), DATA16), "above 2^31-1"),
                Arguments.of("element-count-overflow", countOverflow(), "more elements than"),
                Arguments.of("missing-offsets", fileOf("{\"x\":{\"dtype\":\"F32\",\"shape\":[4]}}", DATA16), "needs data_offsets"),
                Arguments.of("offsets-one-number", fileOf(x("\"F32\"", "[4]", "[16]"), DATA16), "needs data_offsets"),
                Arguments.of("negative-offset", fileOf(x("\"F32\"", "[4]", "[-16,0]"), DATA16), "non-negative integers"),
                Arguments.of("offset-not-integer", fileOf(x("\"F32\"", "[4]", "[0,16.0]"), DATA16), "non-negative integers"),
                Arguments.of("offset-above-i64", fileOf(x("\"F32\"", "[4]", "[0,18446744073709551615]"), DATA16), "non-negative integers"),
                Arguments.of("offsets-reversed", fileOf(x("\"F32\"", "[0]", "[16,0]"), DATA16), "end before they begin"),
                Arguments.of("out-of-range", fileOf(x("\"F32\"", "[8]", "[0,32]"), DATA16), "out of range"),
                Arguments.of("shape-size-mismatch", fileOf(x("\"F32\"", "[5]", "[0,16]"), DATA16), "shape/size mismatch"),
                Arguments.of("dtype-size-mismatch", fileOf(x("\"F16\"", "[4]", "[0,16]"), DATA16), "shape/size mismatch"),
                Arguments.of("packed-partial-byte", fileOf(x("\"F4\"", "[3]", "[0,2]"), new byte[2]), "not a whole number of bytes"),
                Arguments.of("overlap", fileOf("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                        + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", DATA16), "overlap"),
                Arguments.of("same-offsets-twice", fileOf("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"y\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", DATA16), "overlap"),
                Arguments.of("hole", fileOf("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", DATA16), "hole"),
                Arguments.of("hole-at-start", fileOf(x("\"F32\"", "[3]", "[4,16]"), DATA16), "hole"),
                Arguments.of("trailing-bytes", fileOf(x("\"F32\"", "[3]", "[0,12]"), DATA16), "trailing bytes"),
                Arguments.of("data-without-tensors", fileOf("{}", DATA16), "trailing bytes"),
                Arguments.of("metadata-not-object", fileOf("{\"__metadata__\":\"pt\"}", new byte[0]), "__metadata__ is not an object"),
                Arguments.of("metadata-value-not-string", fileOf("{\"__metadata__\":{\"a\":1}}", new byte[0]), "is not a string"),
                Arguments.of("bool-not-0-or-1", fileOf(x("\"BOOL\"", "[2]", "[0,2]"), new byte[] {1, 7}), "must be 0 or 1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsMalformedFiles(String kind, byte[] bytes, String mustSay) throws IOException {
        Path file = dir.resolve(kind + ".safetensors");
        Files.write(file, bytes);
        FormatException e = assertThrows(FormatException.class, () -> {
            try (Safetensors.Reader r = Safetensors.open(file)) {
                for (String name : r.entries().keySet()) r.read(name);
            }
        });
        assertTrue(e.getMessage().startsWith(file + ": "), "error names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(mustSay), "error says '" + mustSay + "': " + e.getMessage());
    }

    static byte[] withLength(byte[] file, long length) {
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return file;
    }

    /** Dimensions that fit an int but overflow a 64-bit element count: 2^31-1 five times. */
    static byte[] countOverflow() {
        int m = Integer.MAX_VALUE;
        return fileOf(x("\"F32\"", "[" + m + "," + m + "," + m + "," + m + "," + m + "]", "[0,16]"), DATA16);
    }

    /** Replaces the two UTF-8 bytes of 'é' with a lone continuation byte and a space. */
    static byte[] breakUtf8(byte[] file) {
        for (int i = 8; i + 1 < file.length; i++) {
            if ((file[i] & 0xFF) == 0xC3 && (file[i + 1] & 0xFF) == 0xA9) {
                file[i] = (byte) 0xA9;
                file[i + 1] = ' ';
                return file;
            }
        }
        throw new IllegalStateException("no é");
    }

    @Test
    void namesTheTensorsWhenAskedForOneItDoesNotHave() throws IOException {
        Path file = dir.resolve("one.safetensors");
        Safetensors.writer().put("a", Tensor.zeros(1)).writeFile(file);
        try (Safetensors.Reader r = Safetensors.open(file)) {
            FormatException e = assertThrows(FormatException.class, () -> r.read("b"));
            assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("[a]"), e.getMessage());
        }
    }

    @Test
    void aFileThatShrinksAfterOpeningIsAnErrorNotACrash() throws IOException {
        Path file = dir.resolve("shrinks.safetensors");
        Safetensors.writer().put("a", Tensor.zeros(1000)).writeFile(file);
        try (Safetensors.Reader r = Safetensors.open(file)) {
            try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(Files.size(file) - 100);
            }
            FormatException e = assertThrows(FormatException.class, () -> r.read("a"));
            assertTrue(e.getMessage().contains("changed size"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ atomic writes

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writeFileLeavesOnlyTheTarget() throws IOException {
        Path file = dir.resolve("a.safetensors");
        Safetensors.writer().put("a", Tensor.zeros(3)).writeFile(file);
        Safetensors.writer().put("b", Tensor.zeros(3)).writeFile(file); // replaces
        assertEquals(List.of("a.safetensors"), listing());
        try (Safetensors.Reader r = Safetensors.open(file)) {
            assertEquals(List.of("b"), List.copyOf(r.entries().keySet()));
        }
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Path plain = Files.createFile(dir.resolve("plain"));
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file),
                    "the file gets the usual permissions, not a temp file's owner-only ones");
        }
    }

    @Test
    void aFailedRenameLeavesNoTempFileAndNoTarget() throws IOException {
        Path target = dir.resolve("m.safetensors");
        Files.createDirectories(target.resolve("in-the-way")); // a non-empty directory cannot be replaced
        assertThrows(IOException.class, () -> Safetensors.writer().put("a", Tensor.zeros(5)).writeFile(target));
        assertEquals(List.of("m.safetensors"), listing());
        assertTrue(Files.isDirectory(target.resolve("in-the-way")));
    }

    @Test
    void aFailureWhileWritingKeepsTheOldFileAndLeavesNoTempFile() throws IOException {
        Path target = dir.resolve("m.safetensors");
        Safetensors.writer().put("old", Tensor.zeros(2)).writeFile(target);
        byte[] before = Files.readAllBytes(target);
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[100_000]); // some bytes reach the temp file...
            throw new IOException("disk full (simulated)"); // ...then the write fails
        }));
        assertEquals("disk full (simulated)", e.getMessage());
        assertEquals(List.of("m.safetensors"), listing());
        assertArrayEquals(before, Files.readAllBytes(target));
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(dir.resolve("new"), out -> {
            throw new IllegalStateException("bug in the writer");
        }));
        assertEquals(List.of("m.safetensors"), listing());
    }

    // ------------------------------------------------------------------ files above 2 GiB

    /**
     * A sparse file of ~2 GiB: a U8 tensor of 2^31 + 16 elements (valid in the format, too large for one
     * Java array), then small F32 and BF16 tensors whose data lies past 2 GiB. Only their bytes are written.
     */
    @Test
    void readsTensorsPastTwoGiBAndRefusesOneTooLargeForAnArray() throws IOException {
        long big = (1L << 31) + 16;
        SplittableRandom rng = new SplittableRandom(SEED + 7);
        float[] tail = new float[15];
        for (int i = 0; i < tail.length; i++) tail[i] = (float) rng.nextGaussian();
        int[] bf = {0x3F80, 0xC000, 0x0001, 0x7F7F, 0x8000, 0x4049, 0x3EAA};
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[2," + big / 2 + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[3,5],\"data_offsets\":[" + big + "," + (big + 60) + "]},"
                + "\"bf\":{\"dtype\":\"BF16\",\"shape\":[7],\"data_offsets\":[" + (big + 60) + "," + (big + 74) + "]}}";
        byte[] head = fileOf(header, new byte[0]);
        Path file = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(head);
            raf.setLength(head.length + big + 74);
            raf.seek(head.length + big);
            raf.write(concat(floatsLE(tail), shortsLE(bf)));
        } catch (IOException e) {
            Assumptions.abort("this filesystem refuses a sparse 2 GiB file: " + e);
        }
        try (Safetensors.Reader r = Safetensors.open(file)) {
            assertTrue(r.entry("tail").begin() > Integer.MAX_VALUE);
            Tensor t = r.read("tail");
            assertArrayEquals(new int[] {3, 5}, t.shape());
            assertArrayEquals(tail, t.data(), 0f, "seed " + SEED);
            float[] b = r.read("bf").data();
            for (int i = 0; i < bf.length; i++) assertEquals(Float.intBitsToFloat(bf[i] << 16), b[i], 0f, "bf[" + i + "]");
            FormatException e = assertThrows(FormatException.class, () -> r.read("big"));
            assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains(big + " elements")
                    && e.getMessage().contains("at most " + Safetensors.MAX_ELEMENTS), e.getMessage());
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
