package org.mtflow.nodes.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mtflow.engine.node.TableMetric;

/**
 * A study's results: per model (a row), its accuracy on every task and their mean, and the same
 * normalized by each task's fine-tuned model, whose own row comes first (normalized 1 by definition).
 * The artifact {@code eval.table} writes ({@code format = mtflow.results-table/1}, JSON).
 *
 * @param tasks the tasks, in the references' order: every row's columns
 * @param rows  the reference row, then one per model, in the order given
 */
public record ResultsTable(String format, List<String> tasks, List<Row> rows) {
    public static final String FORMAT = "mtflow.results-table/1";

    /** One model's figures; the maps are in {@link #tasks} order. */
    public record Row(String label, Map<String, Double> accuracy, @JsonProperty("mean-accuracy") double meanAccuracy,
                      Map<String, Double> normalized, @JsonProperty("mean-normalized") double meanNormalized) {}

    public ResultsTable {
        tasks = List.copyOf(tasks);
        rows = List.copyOf(rows);
    }

    /**
     * The table of {@code models} (label → task → accuracy, in row order) against {@code reference}
     * (task → the accuracy of that task's fine-tuned model), the latter's row labelled {@code referenceLabel}.
     *
     * @throws IllegalArgumentException for a model without an accuracy for a reference task or with a
     *                                  task no reference covers, a reference accuracy of 0, or a label twice
     */
    public static ResultsTable of(String referenceLabel, Map<String, Double> reference, Map<String, Map<String, Double>> models) {
        if (reference.isEmpty()) throw new IllegalArgumentException("the references have no task with examples: give the fine-tuned models' metrics");
        List<String> tasks = List.copyOf(reference.keySet());
        List<Row> rows = new ArrayList<>();
        rows.add(row(referenceLabel, reference, reference, tasks));
        for (Map.Entry<String, Map<String, Double>> m : models.entrySet()) {
            if (m.getKey().equals(referenceLabel)) {
                throw new IllegalArgumentException("row label '" + referenceLabel + "' is the references' row too: give the model another label");
            }
            Set<String> missing = new LinkedHashSet<>(tasks);
            missing.removeAll(m.getValue().keySet());
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("row '" + m.getKey() + "' has no accuracy for task(s) " + missing + " (its metrics cover "
                        + m.getValue().keySet() + "): evaluate the model on every task's dataset");
            }
            rows.add(row(m.getKey(), m.getValue(), reference, tasks));
        }
        return new ResultsTable(FORMAT, tasks, rows);
    }

    private static Row row(String label, Map<String, Double> accuracy, Map<String, Double> reference, List<String> tasks) {
        NormalizedAccuracy n;
        try {
            n = NormalizedAccuracy.of(accuracy, reference);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("row '" + label + "': " + e.getMessage(), e);
        }
        Map<String, Double> acc = new LinkedHashMap<>(), norm = new LinkedHashMap<>();
        for (String t : tasks) {
            acc.put(t, n.tasks().get(t).accuracy());
            norm.put(t, n.tasks().get(t).normalized());
        }
        return new Row(label, acc, n.meanAccuracy(), norm, n.mean());
    }

    /** The accuracies as a console table: a row per model, a column per task, then the mean. */
    public TableMetric accuracyTable() {
        return table("accuracy (%)", true);
    }

    /** The normalized accuracies as a console table, in percent of the fine-tuned models'. */
    public TableMetric normalizedTable() {
        return table("normalized accuracy (% of each task's fine-tuned model)", false);
    }

    private TableMetric table(String title, boolean absolute) {
        List<String> columns = new ArrayList<>();
        columns.add("model");
        columns.addAll(tasks);
        columns.add("mean");
        List<List<Object>> cells = new ArrayList<>();
        for (Row r : rows) {
            List<Object> c = new ArrayList<>();
            c.add(r.label());
            Map<String, Double> values = absolute ? r.accuracy() : r.normalized();
            for (String t : tasks) c.add(values.get(t));
            c.add(absolute ? r.meanAccuracy() : r.meanNormalized());
            cells.add(c);
        }
        return TableMetric.of(title, true, columns, cells);
    }
}
