package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mtflow.engine.spec.Suggestions;

/**
 * Replaces {@code ${item}}, {@code ${item.field}}, {@code ${index}} and {@code ${matrix.key}} in the
 * string values of one expansion of a {@code foreach} or {@code matrix} task, as
 * {@link ParamSubstitution} does params: a whole value keeps its type, a reference inside longer
 * text is spliced in as text. {@code $${} is left for the param substitution that follows, which
 * writes it as a literal {@code ${}. In a task that is not expanded, each such reference is an error.
 */
final class ItemSubstitution {
    private static final Pattern REF = Pattern.compile("\\$\\{\\s*(item|index|matrix)(?:\\.([^}]*?))?\\s*}");

    /**
     * What one expansion binds: the item ({@code foreach}), or the matrix values ({@code matrix}), or
     * neither for a task that is not expanded.
     */
    record Scope(YamlNode item, Map<String, YamlNode> matrix, int index) {
        static final Scope NONE = new Scope(null, null, -1);
    }

    private final Scope scope;
    private final Findings findings;

    ItemSubstitution(Scope scope, Findings findings) {
        this.scope = scope;
        this.findings = findings;
    }

    YamlNode apply(YamlNode node) {
        if (node instanceof YamlNode.Mapping m) {
            List<YamlNode.Entry> out = new ArrayList<>();
            for (YamlNode.Entry e : m.entries()) out.add(new YamlNode.Entry(e.key(), e.line(), e.column(), apply(e.value())));
            return new YamlNode.Mapping(out, m.line(), m.column());
        }
        if (node instanceof YamlNode.Seq s) {
            return new YamlNode.Seq(s.items().stream().map(this::apply).toList(), s.line(), s.column());
        }
        YamlNode.Scalar scalar = (YamlNode.Scalar) node;
        if (!scalar.isString() || !scalar.value().asText().contains("${")) return scalar;
        String text = scalar.value().asText();
        Matcher whole = REF.matcher(text);
        if (whole.matches()) {
            YamlNode value = lookup(whole.group(1), whole.group(2), scalar);
            return value == null ? scalar : value.at(scalar.line(), scalar.column());
        }
        StringBuilder out = new StringBuilder();
        Matcher m = REF.matcher(text);
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                out.append("$${");
                i += 3;
            } else if (text.startsWith("${", i) && m.region(i, text.length()).lookingAt()) {
                YamlNode value = lookup(m.group(1), m.group(2), scalar);
                JsonNode v = value == null ? null : value.toJson();
                out.append(v == null ? m.group() : v.isValueNode() ? v.asText() : v.toString());
                i = m.end();
            } else {
                out.append(text.charAt(i++));
            }
        }
        return new YamlNode.Scalar(JsonNodeFactory.instance.textNode(out.toString()), scalar.line(), scalar.column());
    }

    private YamlNode lookup(String kind, String field, YamlNode.Scalar at) {
        String written = "${" + kind + (field == null ? "" : "." + field) + "}";
        String problem = switch (kind) {
            case "index" -> scope.index() < 0 ? written + " is only defined in a task with foreach or matrix"
                    : field != null ? "${index} has no fields: write ${index}" : null;
            case "item" -> scope.item() == null ? written + " is only defined in a task with foreach"
                    + (scope.matrix() != null ? " (in a matrix task write ${matrix.NAME})" : "") : null;
            default -> scope.matrix() == null ? written + " is only defined in a task with matrix"
                    + (scope.item() != null ? " (in a foreach task write ${item})" : "")
                    : field == null || field.isEmpty() ? "write ${matrix.NAME} with one of: " + String.join(", ", scope.matrix().keySet())
                    : null;
        };
        if (problem != null) return report(at, problem);
        if (kind.equals("index")) return new YamlNode.Scalar(IntNode.valueOf(scope.index()), at.line(), at.column());
        if (kind.equals("matrix")) {
            YamlNode v = scope.matrix().get(field);
            return v != null ? v : report(at, "unknown matrix key '" + field + "' in " + written
                    + Findings.suffix(Suggestions.didYouMean(field, scope.matrix().keySet())));
        }
        YamlNode v = scope.item();
        if (field == null) return v;
        String walked = "item";
        for (String step : field.split("\\.", -1)) {
            if (!(v instanceof YamlNode.Mapping m)) {
                return report(at, written + ": " + walked + " of expansion " + scope.index() + " is " + Findings.describe(v)
                        + ", not a map (write ${item} for the whole item)");
            }
            YamlNode next = m.get(step).orElse(null);
            if (next == null) {
                List<String> keys = m.entries().stream().map(YamlNode.Entry::key).toList();
                return report(at, written + ": " + walked + " of expansion " + scope.index() + " has no field '" + step + "'"
                        + Findings.suffix(keys.isEmpty() ? null : Suggestions.didYouMean(step, keys)));
            }
            v = next;
            walked += "." + step;
        }
        return v;
    }

    /** One error per place: every expansion would repeat it. */
    private YamlNode report(YamlNode.Scalar at, String message) {
        findings.error(at, message);
        findings.quietAfterFirst(at.line(), at.column());
        return null;
    }
}
