package org.mtflow.dsl;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Suggestions;

/**
 * Rewrites the references of one file's tasks to the ids their tasks expanded to:
 * {@code train[*].out} (the outputs of every expansion, a list), {@code train[2].out} (one),
 * {@code sub.outputs.name} (an output a used file declares). A reference to a task this file does
 * not declare is left for the graph validator, which names the missing task.
 */
final class ExpandedReferences {
    private static final Pattern REF = Pattern.compile("([A-Za-z_][A-Za-z0-9_-]*)(?:\\[(\\*|[0-9]+)])?\\.(.+)");
    private static final String OUTPUTS = "outputs.";

    /** The references a reference stands for, and whether they form a list. */
    record Target(List<String> refs, boolean many) {}

    /**
     * One task as declared in a file: the ids of what it became, whether {@code foreach} or
     * {@code matrix} expanded it, the outputs of each expansion when it {@code uses} another file
     * (else null), and whether its expansion failed (references to it are then not checked).
     */
    record Declared(List<String> ids, boolean expanded, List<Map<String, Target>> outputs, boolean broken) {}

    /** A reference found wrong and reported; the input gets a stand-in the validator keeps quiet about. */
    private static final Target FAILED = new Target(List.of(), false);

    private final Map<String, Declared> declared;
    private final Findings findings;

    ExpandedReferences(Map<String, Declared> declared, Findings findings) {
        this.declared = declared;
        this.findings = findings;
    }

    /** The task with the references in its {@code inputs} rewritten. */
    YamlNode.Entry inTask(YamlNode.Entry task) {
        if (!(task.value() instanceof YamlNode.Mapping m) || !(m.get("inputs").orElse(null) instanceof YamlNode.Mapping inputs)) {
            return task;
        }
        List<YamlNode.Entry> rewritten = new ArrayList<>();
        for (YamlNode.Entry input : inputs.entries()) {
            List<Object> at = List.of("tasks", task.key(), "inputs", input.key());
            YamlNode v = input.value();
            if (v instanceof YamlNode.Mapping form && form.get("from").orElse(null) instanceof YamlNode.Seq from) {
                v = replace(form, "from", list(from, at));
            } else if (v instanceof YamlNode.Seq s) {
                v = list(s, at);
            } else if (v instanceof YamlNode.Scalar s && s.isString()) {
                Target t = resolve(s, false);
                if (t == FAILED || t != null && t.refs().isEmpty()) {
                    v = standIn(s, at);
                } else if (t != null) {
                    List<YamlNode> refs = scalars(t, s);
                    v = t.many() ? new YamlNode.Seq(refs, s.line(), s.column()) : refs.get(0);
                }
            }
            rewritten.add(new YamlNode.Entry(input.key(), input.line(), input.column(), v));
        }
        YamlNode.Mapping newInputs = new YamlNode.Mapping(rewritten, inputs.line(), inputs.column());
        return new YamlNode.Entry(task.key(), task.line(), task.column(), replace(m, "inputs", newInputs));
    }

    /** A file's {@code outputs: {name: task.output}}, resolved; every reference must name a task of the file. */
    Map<String, Target> outputs(Optional<YamlNode.Entry> entry) {
        Map<String, Target> out = new LinkedHashMap<>();
        if (entry.isEmpty() || entry.get().value() instanceof YamlNode.Scalar s && s.isNull()) return out;
        if (!(entry.get().value() instanceof YamlNode.Mapping m)) {
            findings.error(entry.get().value(), "outputs must be a map of name: task.output, got "
                    + Findings.describe(entry.get().value()));
            return out;
        }
        for (YamlNode.Entry e : m.entries()) {
            List<YamlNode> items = e.value() instanceof YamlNode.Seq s ? s.items() : List.of(e.value());
            List<String> refs = new ArrayList<>();
            boolean many = e.value() instanceof YamlNode.Seq;
            for (YamlNode item : items) {
                if (!(item instanceof YamlNode.Scalar s && s.isString())) {
                    findings.error(item, "output '" + e.key() + "' must be a reference 'task.output' (or a list of them), got "
                            + Findings.describe(item));
                    continue;
                }
                Target t = resolve(s, true);
                if (t == null || t == FAILED) continue;
                refs.addAll(t.refs());
                many |= t.many();
            }
            out.put(e.key(), new Target(refs, many));
        }
        return out;
    }

    private YamlNode.Seq list(YamlNode.Seq s, List<Object> at) {
        List<YamlNode> out = new ArrayList<>();
        for (int i = 0; i < s.items().size(); i++) {
            YamlNode item = s.items().get(i);
            Target t = item instanceof YamlNode.Scalar sc && sc.isString() ? resolve(sc, false) : null;
            if (t == FAILED) {
                out.add(standIn((YamlNode.Scalar) item, at));
            } else if (t == null) {
                out.add(item);
            } else {
                out.addAll(scalars(t, (YamlNode.Scalar) item));
            }
        }
        return new YamlNode.Seq(out, s.line(), s.column());
    }

    /**
     * What a reference stands for; null for one to leave as written (not a reference to a task of
     * this file, unless {@code mustBeKnown}).
     */
    private Target resolve(YamlNode.Scalar at, boolean mustBeKnown) {
        String text = at.value().asText();
        Optional<OutputRef> plain = OutputRef.parse(text);
        if (plain.isPresent()) {
            Declared d = declared.get(plain.get().task());
            // Written as it is: a task that is not expanded, or an expanded id in a resolved file.
            if (d != null && !d.expanded() && d.outputs() == null) {
                return new Target(List.of(d.ids().get(0) + "." + plain.get().output()), false);
            }
        }
        Matcher m = REF.matcher(text);
        Declared d = m.matches() ? declared.get(m.group(1)) : null;
        if (d == null) {
            if (!mustBeKnown) return null;
            String task = m.matches() ? m.group(1) : plain.map(OutputRef::task).orElse(text);
            return fail(at, "'" + text + "' refers to unknown task '" + task + "'"
                    + Findings.suffix(Suggestions.didYouMean(task, declared.keySet())));
        }
        if (d.broken()) return FAILED;
        String base = m.group(1), selector = m.group(2), rest = m.group(3);
        List<Integer> picked = new ArrayList<>();
        if (selector == null) {
            if (d.expanded()) {
                return fail(at, "'" + base + "' is expanded into " + range(base, d) + "; write " + base + "[*]." + rest
                        + " for the list of all of them or " + base + "[0]." + rest + " for one");
            }
            picked.add(0);
        } else if (!d.expanded()) {
            return fail(at, "'" + base + "[" + selector + "]': '" + base + "' has no foreach or matrix, so it is one task (write "
                    + base + "." + rest + ")");
        } else if (selector.equals("*")) {
            for (int i = 0; i < d.ids().size(); i++) picked.add(i);
        } else {
            int i = selector.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(selector);
            if (i >= d.ids().size()) {
                return fail(at, "index " + selector + " is out of range: '" + base + "' is expanded into " + range(base, d)
                        + " (use an index from 0 to " + (d.ids().size() - 1) + ", or [*] for all)");
            }
            picked.add(i);
        }
        List<String> refs = new ArrayList<>();
        boolean many = "*".equals(selector);
        for (int i : picked) {
            if (d.outputs() == null) {
                refs.add(d.ids().get(i) + "." + rest);
                continue;
            }
            Map<String, Target> outputs = d.outputs().get(i);
            String name = rest.startsWith(OUTPUTS) ? rest.substring(OUTPUTS.length()) : null;
            Target t = name == null ? null : outputs.get(name);
            if (t == null) {
                String declaredNames = outputs.isEmpty() ? "it declares none; add outputs: {NAME: task.output} to that file"
                        : name == null ? "declared: " + String.join(", ", outputs.keySet())
                        : Suggestions.didYouMean(name, outputs.keySet());
                return fail(at, "'" + base + "' runs another workflow file (uses); refer to an output it declares as "
                        + base + (selector == null ? "" : "[" + selector + "]") + ".outputs.NAME (" + declaredNames + ")");
            }
            refs.addAll(t.refs());
            many |= t.many();
        }
        return new Target(refs, many);
    }

    private static String range(String base, Declared d) {
        int n = d.ids().size();
        return n == 1 ? base + "[0]" : n + " tasks " + base + "[0].." + base + "[" + (n - 1) + "]";
    }

    private Target fail(YamlNode.Scalar at, String message) {
        findings.error(at, message);
        return FAILED;
    }

    /** A well-formed reference the validator is told to keep quiet about (the error is reported). */
    private YamlNode standIn(YamlNode.Scalar s, List<Object> at) {
        findings.placeholder(at);
        return new YamlNode.Scalar(JsonNodeFactory.instance.textNode("unresolved.out"), s.line(), s.column());
    }

    private static List<YamlNode> scalars(Target t, YamlNode.Scalar at) {
        return t.refs().stream().map(r -> (YamlNode) new YamlNode.Scalar(JsonNodeFactory.instance.textNode(r), at.line(), at.column()))
                .toList();
    }

    static YamlNode.Mapping replace(YamlNode.Mapping m, String key, YamlNode value) {
        return new YamlNode.Mapping(m.entries().stream()
                .map(e -> e.key().equals(key) ? new YamlNode.Entry(key, e.line(), e.column(), value) : e).toList(),
                m.line(), m.column());
    }
}
