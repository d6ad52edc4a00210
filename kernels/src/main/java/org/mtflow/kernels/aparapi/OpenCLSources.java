package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;
import com.aparapi.internal.kernel.KernelRunner;
import com.aparapi.internal.model.ClassModel;
import com.aparapi.internal.writer.KernelWriter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hand-written OpenCL C for a kernel class, compiled by Aparapi in place of the code it generates from
 * the class's {@code run()}. Aparapi 3.0.2 keeps the source of each kernel class in a static cache
 * ({@code KernelRunner.openCLCache}) that it fills on the class's first compile; a source put there
 * first is built instead, while the arguments still come from the Java fields as for any kernel
 * (Aparapi's interface binding, {@code OpenCLDevice.bind}, would run such a source too, but 3.0.2's
 * leaves a JNI critical region open once the GC has moved an array it was handed, and every later
 * GC then waits: the JVM ran out of heap).
 *
 * <p>The injected source must declare the kernel {@code run} with the parameter list that Aparapi
 * generates from the fields. That list is checked against Aparapi's own code for the class before
 * anything is injected; if it differs, or the cache is out of reach, nothing is injected and the
 * class runs as Aparapi compiles its Java body (slower, same results).
 */
final class OpenCLSources {
    private static final Logger LOG = Logger.getLogger(OpenCLSources.class.getName());

    /** Kernel class → whether its source was injected: once per class, as Aparapi's cache is. */
    private static final Map<Class<?>, Boolean> INJECTED = new ConcurrentHashMap<>();

    private OpenCLSources() {}

    /**
     * Puts the OpenCL resource {@code name} (beside {@code kernel}'s class) in Aparapi's source cache
     * for that class; false, with a warning, when it cannot.
     */
    static boolean inject(Kernel kernel, String name) {
        return INJECTED.computeIfAbsent(kernel.getClass(), type -> tryInject(kernel, name));
    }

    private static boolean tryInject(Kernel kernel, String name) {
        Class<? extends Kernel> type = kernel.getClass();
        try {
            String source;
            try (InputStream in = type.getResourceAsStream(name)) {
                if (in == null) throw new IOException(name + " is missing from the classpath");
                source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String generated = KernelWriter.writeToString(ClassModel.createClassModel(type).getEntrypoint("run", kernel));
            String expected = runParameters(generated), declared = runParameters(source);
            if (!expected.equals(declared)) {
                throw new IllegalStateException(name + " declares run(" + declared + ") but Aparapi passes run(" + expected
                        + "): update the kernel's parameter list in " + name);
            }
            Field field = KernelRunner.class.getDeclaredField("openCLCache");
            field.setAccessible(true);
            @SuppressWarnings("unchecked")
            Map<Class<? extends Kernel>, String> cache = (Map<Class<? extends Kernel>, String>) field.get(null);
            synchronized (cache) {
                String before = cache.putIfAbsent(type, source);
                if (before != null && !before.equals(source)) {
                    throw new IllegalStateException(type.getSimpleName() + " was compiled from its Java body before " + name
                            + " could be injected");
                }
            }
            return true;
        } catch (Exception | LinkageError e) {
            LOG.log(Level.WARNING, type.getSimpleName() + " runs as Aparapi compiles its Java body: " + name
                    + " could not be injected", e);
            return false;
        }
    }

    /** The parameter list of {@code __kernel void run(...)} in an OpenCL source, whitespace removed. */
    static String runParameters(String source) {
        int start = source.indexOf("__kernel void run(");
        if (start < 0) throw new IllegalArgumentException("no '__kernel void run(' in the source");
        start += "__kernel void run(".length();
        int end = source.indexOf(')', start);
        return source.substring(start, end).replaceAll("\\s+", "");
    }
}
