package org.mtflow.engine.node;

import java.util.List;

/**
 * What a subtask does. One class per node type: its name, its params record, its inputs and
 * outputs, and {@link #run}. Node types are stateless; one instance serves every task of its type.
 *
 * @param <P> the params record; its components are the keys of the task's {@code with} map, and
 *            components marked {@link Required} must be given
 */
public interface NodeType<P extends Record> {

    /** The name used in workflow files, e.g. {@code util.sum}. */
    String name();

    /** One line for {@code mtflow schema} and error messages. */
    String description();

    /** Bumped when the outputs for the same params and inputs change: it is part of the cache key. */
    default int version() { return 1; }

    /**
     * Whether reusing a recorded result beats running again. False for node types cheaper than a
     * cache lookup (hashing the key, reading and verifying the entry). Resume does not depend on it:
     * the run journal records every finished task either way.
     */
    default boolean cacheable() { return true; }

    /**
     * Whether an attempt is so small and bounded (microseconds, no blocking, no kernels, no spawn)
     * that the device worker runs it on its own thread rather than handing it to its pool and back:
     * for control-flow node types such as {@code util.noop}, where two thread hand-offs cost more
     * than the work. A trivial attempt cannot be interrupted, so a trivial type must never wait.
     */
    default boolean trivial() { return false; }

    Class<P> paramsType();

    List<Port> inputs();

    List<Port> outputs();

    /** Does the work: reads inputs, writes every declared output, reports metrics. */
    void run(TaskContext<P> ctx) throws Exception;
}
