package org.mtflow.dsl;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What one load found wrong, plus the paths where a bad value was replaced by a placeholder: the
 * graph validator's complaints about those placeholders would only repeat the first error.
 */
final class Findings {
    final List<Diagnostic> diagnostics = new ArrayList<>();
    /** The used files whose nodes the diagnostics may point into. */
    final SourceFiles files = new SourceFiles();
    private final List<List<Object>> placeholders = new ArrayList<>();
    private final Set<List<Integer>> quiet = new HashSet<>();

    void error(YamlNode at, String message) {
        diagnostics.add(Diagnostic.at(at, message));
    }

    void error(YamlNode.Entry at, String message) {
        diagnostics.add(Diagnostic.at(at, message));
    }

    void error(int line, int column, String message) {
        diagnostics.add(new Diagnostic(line, column, message));
    }

    /** Marks a path whose value is a stand-in for something invalid already reported. */
    void placeholder(List<Object> path) {
        placeholders.add(List.copyOf(path));
    }

    /** After the first error at this place, later ones there are dropped (they follow from it). */
    void quietAfterFirst(int line, int column) {
        quiet.add(List.of(line, column));
    }

    /** The diagnostics sorted by place, without repeats or errors that follow from an earlier one. */
    List<Diagnostic> sorted() {
        List<Diagnostic> out = new ArrayList<>();
        Set<List<Integer>> seen = new HashSet<>();
        for (Diagnostic d : diagnostics) {
            List<Integer> at = List.of(d.line(), d.column());
            if (quiet.contains(at) && !seen.add(at)) continue;
            if (!out.contains(d)) out.add(d);
        }
        out.sort(Diagnostic.BY_POSITION);
        return out;
    }

    /** The sorted diagnostics as lines {@code file:line:column: error: text}. */
    List<String> formatted(String mainFile) {
        return sorted().stream().map(d -> files.format(d, mainFile)).toList();
    }

    /** Whether a path is at or under a placeholder. */
    boolean underPlaceholder(List<Object> path) {
        for (List<Object> p : placeholders) {
            if (path.size() >= p.size() && path.subList(0, p.size()).equals(p)) return true;
        }
        return false;
    }

    static String describe(YamlNode n) {
        if (n instanceof YamlNode.Seq) return "a list";
        if (n instanceof YamlNode.Mapping) return "a map";
        var v = ((YamlNode.Scalar) n).value();
        if (v.isTextual()) return "string '" + shorten(v.asText()) + "'";
        if (v.isIntegralNumber()) return "integer " + v.asText();
        if (v.isNumber()) return "number " + v.asText();
        if (v.isBoolean()) return "boolean " + v.asText();
        return "nothing (null)";
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    static String suffix(String suggestion) {
        return suggestion == null ? "" : " (" + suggestion + ")";
    }
}
