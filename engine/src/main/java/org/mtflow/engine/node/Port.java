package org.mtflow.engine.node;

/**
 * A named input or output of a node type.
 *
 * @param name     the key in the task's {@code inputs} map, or the output name after the dot
 * @param many     an input that takes a list of outputs (outputs are always single artifacts)
 * @param required whether a task must bind this input
 * @param doc      what it holds
 */
public record Port(String name, boolean many, boolean required, String doc) {
    public static Port one(String name, String doc) { return new Port(name, false, true, doc); }

    public static Port optional(String name, String doc) { return new Port(name, false, false, doc); }

    public static Port many(String name, String doc) { return new Port(name, true, true, doc); }

    public static Port optionalMany(String name, String doc) { return new Port(name, true, false, doc); }
}
