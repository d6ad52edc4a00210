package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One metric a search optimizes: {@code {metric: TASK.PATH, goal: maximize|minimize}}, TASK a template
 * task, PATH a metric it reports, dotted into maps and lists ({@code m.task-accuracy.tshirt-shirt}).
 */
public record Objective(String metric, String task, List<String> path, boolean maximize) {
    public Objective {
        path = List.copyOf(path);
    }

    /** One objective or a list of them (more than one: the search keeps a Pareto front). */
    public static List<Objective> parse(JsonNode node, Template template) {
        String usage = "write {metric: TASK.METRIC, goal: maximize|minimize} or a list of them, TASK a template task";
        if (node == null || !(node.isObject() || node.isArray()) || node.isEmpty()) throw new IllegalArgumentException("objective: " + usage);
        List<Objective> out = new ArrayList<>();
        for (JsonNode o : node.isArray() ? node : List.of(node)) {
            if (!o.isObject() || !o.path("metric").isTextual()) throw new IllegalArgumentException("objective: " + usage + ", got " + o);
            for (String key : (Iterable<String>) o::fieldNames) {
                if (!key.equals("metric") && !key.equals("goal")) throw new IllegalArgumentException("objective: unknown key '" + key + "'; " + usage);
            }
            String metric = o.get("metric").asText();
            String goal = o.path("goal").asText("maximize");
            if (!goal.equals("maximize") && !goal.equals("minimize")) {
                throw new IllegalArgumentException("objective " + metric + ": goal must be maximize or minimize, got '" + goal + "'");
            }
            String[] parts = metric.split("\\.", -1);
            if (parts.length < 2 || List.of(parts).contains("")) throw new IllegalArgumentException("objective '" + metric + "': " + usage);
            if (template.step(parts[0]) == null) {
                throw new IllegalArgumentException("objective '" + metric + "' names no template task (there are "
                        + String.join(", ", template.steps().stream().map(Template.Step::id).toList()) + ")");
            }
            out.add(new Objective(metric, parts[0], List.of(parts).subList(1, parts.length), goal.equals("maximize")));
        }
        if (out.stream().map(Objective::metric).distinct().count() < out.size()) throw new IllegalArgumentException("objective: a metric is listed twice");
        return out;
    }

    /**
     * The metric's value in what its task reported. A missing or non-numeric metric is a mistake in the
     * workflow, not a bad candidate: it throws, naming the metrics there are.
     */
    public double read(JsonNode metrics) {
        JsonNode v = metrics;
        for (String p : path) v = v.isArray() && p.chars().allMatch(Character::isDigit) ? v.path(Integer.parseInt(p)) : v.path(p);
        if (!v.isNumber()) {
            throw new IllegalArgumentException("objective '" + metric + "': template task '" + task + "' reported no number at "
                    + String.join(".", path) + " (it reported " + metrics + ")");
        }
        return v.asDouble();
    }

    /** The value turned larger-is-better, as policies see it. */
    public double score(double value) { return maximize ? value : -value; }
}
