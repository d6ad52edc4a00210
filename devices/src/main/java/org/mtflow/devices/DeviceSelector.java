package org.mtflow.devices;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The {@code resources.device} of a task: which devices may run it. */
public enum DeviceSelector {
    /** Any device. */
    ANY,
    /** Any OpenCL device, GPU or CPU. */
    OPENCL,
    /** An OpenCL GPU. */
    GPU,
    /** A device on the host CPU: an OpenCL CPU device or the JVM. */
    CPU,
    /** The JVM device (plain-Java kernels). */
    JVM;

    public boolean matches(DeviceKind kind) {
        return switch (this) {
            case ANY -> true;
            case OPENCL -> kind.isOpenCl();
            case GPU -> kind == DeviceKind.GPU;
            case CPU -> kind == DeviceKind.OPENCL_CPU || kind == DeviceKind.JVM;
            case JVM -> kind == DeviceKind.JVM;
        };
    }

    /** The lower-case name used in workflow files. */
    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<DeviceSelector> parse(String token) {
        return Arrays.stream(values()).filter(s -> s.token().equals(token)).findFirst();
    }
}
