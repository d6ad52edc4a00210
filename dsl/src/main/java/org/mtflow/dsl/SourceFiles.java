package org.mtflow.dsl;

import java.util.ArrayList;
import java.util.List;

/**
 * The files one load reads: the workflow itself (number 0) and the files its tasks {@code uses}.
 * A used file's nodes carry its number in the high bits of their line, so an error found at any
 * later stage (the loader's checks, the graph validator) still names the file it is in.
 */
final class SourceFiles {
    /** Lines of one file fit in these bits (a million lines). */
    static final int LINE_BITS = 20;
    static final int MAX_LINE = (1 << LINE_BITS) - 1;

    private final List<String> used = new ArrayList<>();

    /** Registers a used file; the result is what to add to its lines. */
    int add(String name) {
        used.add(name);
        return used.size() << LINE_BITS;
    }

    /** {@code file:line:column: error: text}, naming the used file the line belongs to. */
    String format(Diagnostic d, String mainFile) {
        int file = d.line() >>> LINE_BITS;
        String name = file == 0 || file > used.size() ? mainFile : used.get(file - 1);
        return new Diagnostic(d.line() & MAX_LINE, d.column(), d.text()).format(name);
    }

    /** The same tree with every line moved by {@code base}. */
    static YamlNode shift(YamlNode n, int base) {
        if (n instanceof YamlNode.Mapping m) {
            return new YamlNode.Mapping(m.entries().stream()
                    .map(e -> new YamlNode.Entry(e.key(), e.line() + base, e.column(), shift(e.value(), base))).toList(),
                    m.line() + base, m.column());
        }
        if (n instanceof YamlNode.Seq s) {
            return new YamlNode.Seq(s.items().stream().map(i -> shift(i, base)).toList(), s.line() + base, s.column());
        }
        return n.at(n.line() + base, n.column());
    }
}
