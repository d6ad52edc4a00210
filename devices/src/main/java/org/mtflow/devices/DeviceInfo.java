package org.mtflow.devices;

/**
 * What is known of a device, as plain data (it crosses actor boundaries and goes into reports).
 *
 * @param id           stable name within one machine, e.g. {@code jvm} or {@code opencl0}
 * @param kind         GPU, OpenCL CPU, other OpenCL, or the JVM
 * @param name         the vendor's device name
 * @param computeUnits OpenCL compute units, or the cores the JVM may use
 * @param memoryBytes  OpenCL global memory, or the JVM's maximum heap
 * @param backend      the {@code TensorOps} backend that serves it: {@code opencl} or {@code java}
 */
public record DeviceInfo(String id, DeviceKind kind, String name, int computeUnits, long memoryBytes, String backend) {}
