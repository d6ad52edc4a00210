package org.mtflow.engine.spec;

import java.util.Optional;

/** A reference to a named output of a task, written {@code task.output} in workflow files. */
public record OutputRef(String task, String output) {

    /** Parses {@code task.output}; the output name is the part after the last dot. */
    public static Optional<OutputRef> parse(String text) {
        int dot = text.lastIndexOf('.');
        if (dot <= 0 || dot == text.length() - 1) return Optional.empty();
        return Optional.of(new OutputRef(text.substring(0, dot), text.substring(dot + 1)));
    }

    @Override
    public String toString() {
        return task + "." + output;
    }
}
