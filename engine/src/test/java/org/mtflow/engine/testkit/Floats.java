package org.mtflow.engine.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** float32 / float64 artifacts as the test node types write them: little-endian, no header. */
public final class Floats {
    private Floats() {}

    public static void write(OutputStream out, float[] values) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        out.write(buf.array());
    }

    public static float[] read(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[buf.remaining() / 4];
        buf.asFloatBuffer().get(out);
        return out;
    }

    public static void writeDouble(OutputStream out, double value) throws IOException {
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value).array());
    }

    public static double readDouble(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != 8) throw new IOException(file + " holds " + bytes.length + " bytes, not one float64");
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getDouble();
    }
}
