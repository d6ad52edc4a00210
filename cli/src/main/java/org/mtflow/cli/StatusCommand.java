package org.mtflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.run.RunIds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Prints a run's status and each task's state and device: of a run on a cluster (--cluster), "
                + "else of a run under the home dir.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the status was printed", "1:no such run, or the node cannot be reached", "2:the options are invalid"})
final class StatusCommand implements Callable<Integer> {

    @Parameters(paramLabel = "RUN-ID")
    String runId;

    @Option(names = "--cluster", paramLabel = "HOST:PORT", split = ",",
            description = "the http endpoint of a node of the run's cluster (more, comma-separated, are tried in turn)")
    List<String> cluster;

    @Mixin
    TlsOptions tls;

    @Option(names = "--home", paramLabel = "DIR", description = "state directory (default: $MTFLOW_HOME, else ./.mtflow)")
    Path home;

    @Override
    public Integer call() throws Exception {
        if (!RunIds.valid(runId)) {
            System.err.println("error: '" + runId + "' is not a valid run id");
            return Main.INVALID;
        }
        if (cluster != null) {
            ClusterClient client = ClusterClient.open(cluster, tls);
            if (client == null) return Main.INVALID;
            try {
                return client.status(runId);
            } catch (java.io.IOException e) {
                System.err.println("error: cannot reach a node at " + String.join(",", cluster) + ": " + e.getMessage());
                return Main.FAILED;
            }
        }
        Path report = Home.resolve(home).resolve("runs").resolve(runId).resolve("report.json");
        if (!Files.exists(report)) {
            System.err.println("error: no run '" + runId + "' (" + report + " is missing)");
            return Main.FAILED;
        }
        JsonNode json = Json.MAPPER.readTree(report.toFile());
        System.out.println("run " + runId + ": " + json.path("status").asText("unknown"));
        printTasks(json);
        return Main.OK;
    }

    /** A line per task of a report.json (its id, status and device), then the tables its tasks recorded. */
    static void printTasks(JsonNode report) {
        var tasks = report.path("tasks").fields();
        while (tasks.hasNext()) {
            Map.Entry<String, JsonNode> t = tasks.next();
            System.out.printf(Locale.ROOT, "  %-24s %-10s %s%n", t.getKey(), t.getValue().path("status").asText(),
                    t.getValue().path("device").asText(""));
        }
        System.out.print(ReportTables.render(report));
    }
}
