package org.mtflow.engine.node;

import java.util.Locale;

/**
 * A named input or output of a node type.
 *
 * @param name     the key in the task's {@code inputs} map, or the output name after the dot
 * @param many     an input that takes a list of outputs (outputs are always single artifacts)
 * @param required whether a task must bind this input
 * @param kind     what the artifact holds; an output feeds an input only when their kinds agree
 *                 (either may be {@link Kind#ANY})
 * @param doc      what it holds
 */
public record Port(String name, boolean many, boolean required, Kind kind, String doc) {

    /** What an artifact holds, as far as wiring tasks together goes. */
    public enum Kind {
        /** Takes or gives anything (pass-through nodes). */
        ANY,
        /** A tensor file (mtflow's tensor format). */
        TENSOR,
        /** A dataset (features and labels, with its splits). */
        DATASET,
        /** A JSON document (reports, indexes, metrics). */
        JSON,
        /** A trained model (safetensors weights with the architecture in the metadata). */
        MODEL;

        public String token() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether an output of this kind may feed an input of kind {@code input}. */
        public boolean feeds(Kind input) {
            return this == ANY || input == ANY || this == input;
        }
    }

    public Port(String name, boolean many, boolean required, String doc) {
        this(name, many, required, Kind.ANY, doc);
    }

    public static Port one(String name, String doc) { return new Port(name, false, true, doc); }

    public static Port optional(String name, String doc) { return new Port(name, false, false, doc); }

    public static Port many(String name, String doc) { return new Port(name, true, true, doc); }

    public static Port optionalMany(String name, String doc) { return new Port(name, true, false, doc); }

    /** This port, holding artifacts of {@code k}. */
    public Port of(Kind k) {
        return new Port(name, many, required, k, doc);
    }
}
