package org.mtflow.engine.spec;

import java.util.List;
import java.util.stream.Collectors;

/** A workflow that cannot run, with every problem found (not only the first). */
public final class SpecException extends Exception {
    private final List<String> lines;

    /** @param lines one printable line per problem, each naming its place */
    public SpecException(List<String> lines) {
        super(lines.stream().collect(Collectors.joining("\n")));
        this.lines = List.copyOf(lines);
    }

    public List<String> lines() { return lines; }
}
