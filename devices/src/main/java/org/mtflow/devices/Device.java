package org.mtflow.devices;

import java.util.function.Supplier;
import org.mtflow.kernels.TensorOps;

/**
 * A device of this machine and the {@link TensorOps} that serves it. The backend is created on
 * first use, so listing devices does not compile kernels.
 */
public final class Device implements AutoCloseable {
    private final DeviceInfo info;
    private final Supplier<TensorOps> factory;
    private TensorOps ops;

    public Device(DeviceInfo info, Supplier<TensorOps> factory) {
        this.info = info;
        this.factory = factory;
    }

    public DeviceInfo info() { return info; }

    public String id() { return info.id(); }

    public DeviceKind kind() { return info.kind(); }

    public synchronized TensorOps ops() {
        if (ops == null) ops = factory.get();
        return ops;
    }

    @Override
    public synchronized void close() {
        if (ops != null) ops.close();
        ops = null;
    }

    @Override
    public String toString() { return info.id() + " (" + info.name() + ")"; }
}
