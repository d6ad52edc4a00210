package org.mtflow.dsl;

import java.util.Comparator;

/** One error at a place in a file, printed as {@code file:line:column: error: text}. */
record Diagnostic(int line, int column, String text) {
    static final Comparator<Diagnostic> BY_POSITION =
            Comparator.comparingInt(Diagnostic::line).thenComparingInt(Diagnostic::column);

    static Diagnostic at(YamlNode node, String text) {
        return new Diagnostic(node.line(), node.column(), text);
    }

    static Diagnostic at(YamlNode.Entry key, String text) {
        return new Diagnostic(key.line(), key.column(), text);
    }

    String format(String file) {
        return file + ":" + line + ":" + column + ": error: " + text;
    }
}
