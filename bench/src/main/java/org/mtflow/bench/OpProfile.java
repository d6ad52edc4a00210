package org.mtflow.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Wall time of each {@link TensorOps} call by op and operand shapes (and transpose flags), through a
 * proxy: where a training step spends its time.
 */
final class OpProfile implements InvocationHandler {
    private TensorOps target;
    private final Map<String, long[]> nanosAndCalls = new LinkedHashMap<>();
    private int depth;

    TensorOps wrap(TensorOps ops) {
        target = ops;
        return (TensorOps) Proxy.newProxyInstance(TensorOps.class.getClassLoader(), new Class<?>[] {TensorOps.class}, this);
    }

    void reset() { nanosAndCalls.clear(); }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (depth > 0) return call(method, args);
        StringBuilder key = new StringBuilder(method.getName());
        if (args != null) {
            for (Object a : args) {
                if (a instanceof Tensor t) key.append(' ').append(Arrays.toString(t.shape()).replace(" ", ""));
                else if (a instanceof Boolean b && b) key.append(" T");
            }
        }
        depth++;
        long t0 = System.nanoTime();
        try {
            return call(method, args);
        } finally {
            long dt = System.nanoTime() - t0;
            depth--;
            long[] s = nanosAndCalls.computeIfAbsent(key.toString(), k -> new long[2]);
            s[0] += dt;
            s[1]++;
        }
    }

    private Object call(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Microseconds per step of each op and shape, most expensive first. */
    void print(int steps) {
        long total = nanosAndCalls.values().stream().mapToLong(s -> s[0]).sum();
        System.out.printf(Locale.ROOT, "    %-60s %9s %6s%n", "op and shapes", "us/step", "calls");
        nanosAndCalls.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0]))
                .forEach(e -> System.out.printf(Locale.ROOT, "    %-60s %9.1f %6.1f%n", e.getKey(),
                        e.getValue()[0] / 1e3 / steps, e.getValue()[1] / (double) steps));
        System.out.printf(Locale.ROOT, "    %-60s %9.1f%n", "all ops", total / 1e3 / steps);
    }
}
