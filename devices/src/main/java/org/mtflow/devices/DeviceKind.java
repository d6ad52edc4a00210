package org.mtflow.devices;

/** What a device is; the {@code resources.device} selector of a task matches against it. */
public enum DeviceKind {
    /** An OpenCL GPU. */
    GPU,
    /** An OpenCL device on the host CPU (e.g. PoCL). */
    OPENCL_CPU,
    /** An OpenCL accelerator or other non-CPU, non-GPU device. */
    OPENCL_OTHER,
    /** The JVM itself: plain-Java kernels on the host's cores. */
    JVM;

    public boolean isOpenCl() {
        return this != JVM;
    }
}
