package org.mtflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import org.mtflow.engine.node.TableMetric;

/**
 * The tables of a run for the console: every task metric of report.json in the {@link TableMetric}
 * shape, whether the task ran or came from the cache, in task order.
 */
final class ReportTables {
    private ReportTables() {}

    /** Each table under a "TASK: TITLE" line, a blank line before each; "" when the run has none. */
    static String render(JsonNode report) {
        StringBuilder out = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> tasks = report.path("tasks").fields(); tasks.hasNext(); ) {
            Map.Entry<String, JsonNode> task = tasks.next();
            for (Iterator<Map.Entry<String, JsonNode>> metrics = task.getValue().path("metrics").fields(); metrics.hasNext(); ) {
                Map.Entry<String, JsonNode> metric = metrics.next();
                TableMetric table = TableMetric.fromJson(metric.getValue());
                if (table == null) continue;
                out.append(ConsoleView.NL).append(task.getKey()).append(": ")
                        .append(table.title().isEmpty() ? metric.getKey() : table.title()).append(ConsoleView.NL)
                        .append(table.render().replace("\n", ConsoleView.NL));
            }
        }
        return out.toString();
    }
}
