package org.mtflow.engine.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A table as a task's metric: what a node records (with {@link TaskContext#metric}) to have the run's
 * console show an aligned table at the end of {@code mtflow run}, cached or not. In report.json:
 * <pre>
 * {"format": "mtflow.table/1", "title": "...", "percent": true,
 *  "columns": ["model", "task-a", ...], "rows": [["joint", 0.91, ...], ...]}
 * </pre>
 * Cells are strings, numbers or null (shown as "-"); with {@code percent}, numbers are fractions
 * shown as percentages with one decimal, else with four decimals. Every row has a cell per column.
 */
public record TableMetric(String format, String title, boolean percent, List<String> columns, List<List<Object>> rows) {
    public static final String FORMAT = "mtflow.table/1";

    public TableMetric {
        columns = List.copyOf(columns);
        List<List<Object>> copy = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            if (rows.get(r).size() != columns.size()) {
                throw new IllegalArgumentException("table '" + title + "': row " + r + " has " + rows.get(r).size()
                        + " cells for " + columns.size() + " columns " + columns);
            }
            copy.add(Collections.unmodifiableList(new ArrayList<>(rows.get(r)))); // cells may be null
        }
        rows = List.copyOf(copy);
    }

    public static TableMetric of(String title, boolean percent, List<String> columns, List<List<Object>> rows) {
        return new TableMetric(FORMAT, title, percent, columns, rows);
    }

    /** The table a metric's value holds, or null when the value is not one (any other metric). */
    public static TableMetric fromJson(JsonNode value) {
        if (value == null || !value.isObject() || !FORMAT.equals(value.path("format").asText(null))) return null;
        JsonNode cols = value.path("columns"), rows = value.path("rows");
        if (!cols.isArray() || !rows.isArray()) return null;
        List<String> columns = new ArrayList<>();
        cols.forEach(c -> columns.add(c.asText()));
        List<List<Object>> cells = new ArrayList<>();
        for (JsonNode row : rows) {
            if (!row.isArray() || row.size() != columns.size()) return null;
            List<Object> out = new ArrayList<>();
            row.forEach(c -> out.add(c.isNumber() ? (Object) c.doubleValue() : c.isNull() ? null : c.asText()));
            cells.add(out);
        }
        return new TableMetric(FORMAT, value.path("title").asText(""), value.path("percent").asBoolean(false), columns, cells);
    }

    /**
     * The table as aligned plain text (without its title), a line per row under a header and a rule:
     * text left-aligned, numbers right-aligned, columns two spaces apart. Ends with a newline.
     */
    public String render() {
        int n = columns.size();
        List<String[]> text = new ArrayList<>();
        for (List<Object> row : rows) {
            String[] t = new String[n];
            for (int c = 0; c < n; c++) t[c] = cell(row.get(c));
            text.add(t);
        }
        int[] width = new int[n];
        for (int c = 0; c < n; c++) {
            width[c] = columns.get(c).length();
            for (String[] t : text) width[c] = Math.max(width[c], t[c].length());
        }
        StringBuilder out = new StringBuilder();
        line(out, columns.toArray(String[]::new), width, null);
        int total = 0;
        for (int w : width) total += w;
        out.append("-".repeat(total + 2 * (n - 1))).append('\n');
        for (int r = 0; r < rows.size(); r++) line(out, text.get(r), width, rows.get(r));
        return out.toString();
    }

    private static void line(StringBuilder out, String[] cells, int[] width, List<Object> values) {
        StringBuilder l = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            if (c > 0) l.append("  ");
            // The header aligns as its column's cells do: numbers right; the first column is labels.
            boolean right = values == null ? c > 0 : values.get(c) instanceof Number || values.get(c) == null;
            String pad = " ".repeat(width[c] - cells[c].length());
            l.append(right ? pad + cells[c] : cells[c] + pad);
        }
        out.append(l.toString().stripTrailing()).append('\n');
    }

    private String cell(Object v) {
        if (v == null) return "-";
        if (v instanceof Number x) {
            return percent ? String.format(Locale.ROOT, "%.1f", 100 * x.doubleValue()) : String.format(Locale.ROOT, "%.4f", x.doubleValue());
        }
        return v.toString();
    }
}
