package org.mtflow.dsl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/**
 * Draws a workflow's task graph as Graphviz DOT or as a Mermaid flowchart: one node per task (its id
 * and node type), one edge per input reference, from the producer to the consumer, labelled with the
 * output's name (after the input's, {@code a: tensor}, when they differ). An edge of a list input that needs only some of its outputs ({@code min-success})
 * is dashed and says how many of the list must succeed. Tasks and edges come in declaration order,
 * so the same spec always gives the same text.
 */
public final class GraphWriter {

    public enum Format { DOT, MERMAID }

    /** One input reference: {@code from.output} feeds {@code to}; {@code need} is "k of n" for a partial list. */
    private record Edge(String from, String output, String to, String input, String need) {}

    private GraphWriter() {}

    public static String write(WorkflowSpec spec, Format format) {
        return format == Format.DOT ? dot(spec) : mermaid(spec);
    }

    public static String dot(WorkflowSpec spec) {
        StringBuilder out = new StringBuilder();
        out.append("digraph ").append(dotString(spec.name())).append(" {\n");
        out.append("  rankdir=LR;\n");
        out.append("  node [shape=box];\n");
        for (TaskSpec t : spec.tasks()) {
            out.append("  ").append(dotString(t.id())).append(" [label=").append(dotString(t.id() + "\n" + t.type()))
                    .append("];\n");
        }
        for (Edge e : edges(spec)) {
            out.append("  ").append(dotString(e.from())).append(" -> ").append(dotString(e.to()))
                    .append(" [label=").append(dotString(label(e)));
            if (e.need() != null) out.append(", style=dashed");
            out.append("];\n");
        }
        return out.append("}\n").toString();
    }

    public static String mermaid(WorkflowSpec spec) {
        StringBuilder out = new StringBuilder();
        out.append("---\ntitle: ").append(WorkflowWriter.string(spec.name(), false)).append("\n---\n");
        out.append("flowchart LR\n");
        // Task ids may hold '-', which Mermaid reads as part of an arrow: nodes get neutral ids.
        Map<String, String> ids = new HashMap<>();
        for (TaskSpec t : spec.tasks()) {
            String id = "t" + ids.size();
            ids.put(t.id(), id);
            out.append("  ").append(id).append("[\"").append(mermaidText(t.id())).append("<br/>")
                    .append(mermaidText(t.type())).append("\"]\n");
        }
        for (Edge e : edges(spec)) {
            out.append("  ").append(ids.get(e.from())).append(e.need() == null ? " -->|\"" : " -.->|\"")
                    .append(mermaidText(label(e))).append("\"| ").append(ids.get(e.to())).append('\n');
        }
        return out.toString();
    }

    private static List<Edge> edges(WorkflowSpec spec) {
        List<Edge> out = new ArrayList<>();
        for (TaskSpec t : spec.tasks()) {
            for (var in : t.inputs().entrySet()) {
                InputBinding b = in.getValue();
                String need = b instanceof InputBinding.Many m && m.partial()
                        ? m.minSuccess() + " of " + m.list().size() : null;
                for (OutputRef r : b.refs()) out.add(new Edge(r.task(), r.output(), t.id(), in.getKey(), need));
            }
        }
        return out;
    }

    /** The output, and the input it feeds when its name differs (two inputs fed by one output stay apart). */
    private static String label(Edge e) {
        String wire = e.output().equals(e.input()) ? e.output() : e.input() + ": " + e.output();
        return e.need() == null ? wire : wire + " (" + e.need() + " needed)";
    }

    /** A DOT quoted string: quotes and backslashes escaped, newlines as {@code \n} (centred lines). */
    private static String dotString(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> { }
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** Text inside a quoted Mermaid label: its quotes and markup characters as entity codes. */
    private static String mermaidText(String s) {
        return s.replace("#", "#35;").replace("\"", "#quot;").replace("<", "#lt;").replace(">", "#gt;")
                .replace("|", "#124;").replace("\n", " ");
    }
}
