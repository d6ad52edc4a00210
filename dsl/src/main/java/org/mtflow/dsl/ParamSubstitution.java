package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mtflow.engine.spec.Suggestions;

/**
 * Replaces {@code ${params.NAME}} in string values. A value that is exactly one reference becomes
 * the param's value with its type (a number stays a number, a list a list); a reference inside
 * longer text is spliced in as text. {@code $${} writes a literal {@code ${}. Map keys are left
 * alone. The result keeps the positions of the text, so errors point where the reference is.
 */
final class ParamSubstitution {
    private static final Pattern REF = Pattern.compile("\\$\\{\\s*params\\.([^}]*?)\\s*}");

    private final Map<String, YamlNode> params;
    private final Findings findings;

    ParamSubstitution(Map<String, YamlNode> params, Findings findings) {
        this.params = params;
        this.findings = findings;
    }

    YamlNode apply(YamlNode node, List<Object> path) {
        if (node instanceof YamlNode.Mapping m) {
            List<YamlNode.Entry> out = new ArrayList<>();
            for (YamlNode.Entry e : m.entries()) {
                out.add(new YamlNode.Entry(e.key(), e.line(), e.column(), apply(e.value(), append(path, e.key()))));
            }
            return new YamlNode.Mapping(out, m.line(), m.column());
        }
        if (node instanceof YamlNode.Seq s) {
            List<YamlNode> out = new ArrayList<>();
            for (int i = 0; i < s.items().size(); i++) out.add(apply(s.items().get(i), append(path, i)));
            return new YamlNode.Seq(out, s.line(), s.column());
        }
        YamlNode.Scalar scalar = (YamlNode.Scalar) node;
        if (!scalar.isString() || !scalar.value().asText().contains("${")) return scalar;
        String text = scalar.value().asText();
        Matcher whole = REF.matcher(text);
        if (whole.matches()) {
            YamlNode value = lookup(whole.group(1), scalar, path);
            return value == null ? scalar : value.at(scalar.line(), scalar.column());
        }
        return new YamlNode.Scalar(JsonNodeFactory.instance.textNode(splice(text, scalar, path)),
                scalar.line(), scalar.column());
    }

    private String splice(String text, YamlNode.Scalar at, List<Object> path) {
        StringBuilder out = new StringBuilder();
        Matcher m = REF.matcher(text);
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (text.startsWith("${", i) && m.region(i, text.length()).lookingAt()) {
                YamlNode value = lookup(m.group(1), at, path);
                out.append(value == null ? m.group() : asText(value.toJson()));
                i = m.end();
            } else {
                out.append(text.charAt(i++));
            }
        }
        return out.toString();
    }

    private YamlNode lookup(String name, YamlNode.Scalar at, List<Object> path) {
        YamlNode value = params.get(name);
        if (value == null) {
            findings.error(at, "unknown param '" + name + "' in '" + at.value().asText() + "'"
                    + Findings.suffix(params.isEmpty() ? "declare it under params:" : Suggestions.didYouMean(name, params.keySet())));
            findings.placeholder(path);
        }
        return value;
    }

    private static String asText(JsonNode v) {
        return v.isValueNode() ? v.asText() : v.toString();
    }

    private static List<Object> append(List<Object> path, Object step) {
        List<Object> out = new ArrayList<>(path);
        out.add(step);
        return out;
    }
}
