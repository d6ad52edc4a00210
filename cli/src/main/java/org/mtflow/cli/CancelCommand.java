package org.mtflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.run.Engine;
import org.mtflow.engine.run.RunIds;
import org.mtflow.kernels.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "cancel", mixinStandardHelpOptions = true,
        description = "Cancels a run that an 'mtflow run' or 'mtflow resume' process is running under the home dir, "
                + "or a cluster's run (--cluster): its running tasks are stopped, the rest are skipped, and it ends 'cancelled'. Tasks that "
                + "finished stay finished: resume the run to go on from there.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the run ended", "1:no such run, or no process is running it", "2:the options are invalid"})
final class CancelCommand implements Callable<Integer> {

    @Parameters(paramLabel = "RUN-ID")
    String runId;

    @Option(names = "--reason", paramLabel = "TEXT", description = "why, for the run's events and report "
            + "(default: ${DEFAULT-VALUE})")
    String reason = "requested with mtflow cancel";

    @Option(names = "--wait", paramLabel = "SECONDS", description = "how long to wait for the run to end "
            + "(default: ${DEFAULT-VALUE})")
    int waitSeconds = 15;

    @Option(names = "--home", paramLabel = "DIR", description = "state directory (default: $MTFLOW_HOME, else ./.mtflow)")
    Path home;

    @Option(names = "--cluster", paramLabel = "HOST:PORT", split = ",",
            description = "cancel a run of a cluster, through a node's http endpoint (more, comma-separated, are tried "
                    + "in turn); it returns once the cluster took the request")
    List<String> cluster;

    @Mixin
    TlsOptions tls;

    @Override
    public Integer call() throws Exception {
        if (!RunIds.valid(runId)) {
            System.err.println("error: '" + runId + "' is not a valid run id");
            return Main.INVALID;
        }
        if (waitSeconds < 1) {
            System.err.println("error: --wait must be 1 second or more");
            return Main.INVALID;
        }
        if (cluster != null) {
            ClusterClient client = ClusterClient.open(cluster, tls);
            if (client == null) return Main.INVALID;
            try {
                return client.cancel(runId, reason);
            } catch (IOException e) {
                System.err.println("error: cannot reach a node at " + String.join(",", cluster) + ": " + e.getMessage());
                return Main.FAILED;
            }
        }
        return cancelUnder(Home.resolve(home));
    }

    /**
     * Asks the process running the run under {@code home} to cancel it (see {@link Engine#CANCEL_REQUEST}):
     * writes the request, waits until that process takes it (deletes it), then until its report says
     * it ended.
     */
    private int cancelUnder(Path home) throws IOException, InterruptedException {
        Path dir = home.resolve("runs").resolve(runId);
        if (!Files.isDirectory(dir)) {
            System.err.println("error: no run '" + runId + "' (" + dir + " is missing)");
            return Main.FAILED;
        }
        Path request = dir.resolve(Engine.CANCEL_REQUEST);
        Path report = dir.resolve("report.json");
        AtomicFiles.write(request, reason.getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        while (Files.exists(request)) {
            if (System.nanoTime() - deadline > 0) {
                // Left there, it would cancel nothing (a later session deletes it at start) but mislead.
                Files.deleteIfExists(request);
                String last = status(report);
                System.err.println("error: no process is running run " + runId + " under " + home
                        + (last == null ? "" : " (its report says: " + last + ")"));
                return Main.FAILED;
            }
            TimeUnit.MILLISECONDS.sleep(100); // another process takes it: nothing to be told by
        }
        String status;
        while ("running".equals(status = status(report)) || status == null) {
            if (System.nanoTime() - deadline > 0) {
                System.err.println("error: the process running run " + runId + " took the request but the run has not "
                        + "ended yet; see 'mtflow status " + runId + "'");
                return Main.FAILED;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        if (status.equals("cancelled")) {
            System.out.println("run " + runId + " cancelled");
        } else {
            System.out.println("run " + runId + " ended " + status + " before the cancel took effect");
        }
        return Main.OK;
    }

    /** The run's status in its report.json, or null while there is none yet. */
    private static String status(Path report) {
        try {
            JsonNode json = Json.MAPPER.readTree(report.toFile());
            return json.path("status").asText(null);
        } catch (IOException e) {
            return null; // not written yet (the report is replaced atomically, never torn)
        }
    }
}
