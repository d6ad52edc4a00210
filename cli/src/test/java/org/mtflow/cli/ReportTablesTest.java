package org.mtflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.TableMetric;

/** The tables mtflow run prints after a run: every table metric of report.json, aligned. */
class ReportTablesTest {
    private static final String NL = System.lineSeparator();

    private static ObjectNode task(ObjectNode report, String id, String status) {
        ObjectNode t = ((ObjectNode) report.path("tasks")).putObject(id);
        t.put("status", status);
        return t.putObject("metrics");
    }

    @Test
    void everyTableMetricOfEveryTaskRanOrCachedIsPrintedInTaskOrder() {
        ObjectNode report = Json.MAPPER.createObjectNode();
        report.putObject("tasks");
        ObjectNode a = task(report, "results", "cached");
        a.put("accuracy-mean", 0.5); // not a table: left out
        a.set("accuracy", Json.MAPPER.valueToTree(TableMetric.of("accuracy (%)", true, List.of("model", "task-a", "b", "mean"),
                List.of(Arrays.asList("fine-tuned", 0.875, 1.0, 0.9375), Arrays.asList("merged", 0.0625, null, 0.0625)))));
        ObjectNode b = task(report, "other", "succeeded");
        b.set("t", Json.MAPPER.valueToTree(TableMetric.of("", false, List.of("name", "loss"),
                List.of(Arrays.asList("x", 12.5), Arrays.asList("longer name", 0.000125)))));
        b.putObject("looks-like").put("format", "mtflow.table/1"); // no columns or rows: not a table
        task(report, "none", "failed");

        assertEquals(String.join(NL,
                "",
                "results: accuracy (%)",
                "model       task-a      b  mean",
                "-------------------------------",
                "fine-tuned    87.5  100.0  93.8",
                "merged         6.3      -   6.3",
                "",
                "other: t",
                "name            loss",
                "--------------------",
                "x            12.5000",
                "longer name   0.0001",
                ""), ReportTables.render(report));
        assertEquals("", ReportTables.render(Json.MAPPER.createObjectNode()), "a run without tables prints none");
    }

    /** [start, end) of each cell of a line: runs of text with no two spaces in a row. */
    private static List<int[]> spans(String line) {
        List<int[]> out = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\S+(?: \\S+)*").matcher(line);
        while (m.find()) out.add(new int[] {m.start(), m.end()});
        return out;
    }

    @Test
    void cellsLineUpInTheirColumnsWhateverTheirWidths() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        int cols = 2 + rnd.nextInt(6), rowCount = 1 + rnd.nextInt(20);
        List<String> columns = new ArrayList<>();
        for (int c = 0; c < cols; c++) columns.add("c" + "x".repeat(rnd.nextInt(15)));
        List<List<Object>> rows = new ArrayList<>();
        for (int r = 0; r < rowCount; r++) {
            List<Object> row = new ArrayList<>();
            row.add("row " + "y".repeat(rnd.nextInt(25)) + r);
            for (int c = 1; c < cols; c++) row.add(rnd.nextInt(10) == 0 ? null : rnd.nextDouble() * Math.pow(10, rnd.nextInt(5)));
            rows.add(row);
        }
        boolean percent = rnd.nextBoolean();
        List<String> lines = TableMetric.of("t", percent, columns, rows).render().lines().toList();
        String msg = "seed=" + seed;
        assertEquals(rowCount + 2, lines.size(), msg);
        int width = lines.get(1).length();
        assertEquals("-".repeat(width), lines.get(1), msg);
        assertEquals(columns, List.of(lines.get(0).split(" {2,}")), msg);
        assertEquals(width, lines.get(0).length(), msg + ": the last header ends at the right edge");
        List<int[]> header = spans(lines.get(0));
        assertEquals(cols, header.size(), msg);
        for (int r = 0; r < rowCount; r++) {
            String line = lines.get(r + 2);
            List<int[]> cells = spans(line);
            assertEquals(cols, cells.size(), msg + " row " + r + ": " + line);
            assertEquals(0, cells.get(0)[0], msg + ": labels start the line");
            assertEquals(rows.get(r).get(0), line.substring(cells.get(0)[0], cells.get(0)[1]), msg);
            for (int c = 1; c < cols; c++) {
                Object v = rows.get(r).get(c);
                String want = v == null ? "-" : String.format(Locale.ROOT, percent ? "%.1f" : "%.4f", (percent ? 100 : 1) * (double) v);
                assertEquals(want, line.substring(cells.get(c)[0], cells.get(c)[1]), msg + " row " + r + " column " + c);
                assertEquals(header.get(c)[1], cells.get(c)[1], msg + " row " + r + " column " + c + ": right-aligned under its header\n" + line);
            }
        }
        JsonNode json = Json.MAPPER.valueToTree(TableMetric.of("t", percent, columns, rows));
        assertEquals(TableMetric.of("t", percent, columns, rows), TableMetric.fromJson(json), msg + ": the report's form reads back");
    }
}
