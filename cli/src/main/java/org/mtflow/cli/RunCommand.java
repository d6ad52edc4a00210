package org.mtflow.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.mtflow.devices.Device;
import org.mtflow.devices.Devices;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.dsl.MergekitImport;
import org.mtflow.engine.run.RunIds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs a workflow. State goes to HOME/runs/RUN-ID (spec.yaml, events.jsonl, report.json), "
                + "HOME/store (artifacts, cache) and HOME/journal. Given the id of an existing run of the same "
                + "workflow, continues it (see resume).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every task succeeded", "1:the run failed", "2:the input is invalid"})
final class RunCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "the workflow (YAML), or a mergekit config (a YAML file with merge_method: "
            + "mergekit-yaml's config.yml), which needs --output")
    Path file;

    @Option(names = "--output", paramLabel = "DIR", description = "for a mergekit config: the directory the merged model is written to "
            + "(config.json and safetensors, like mergekit-yaml config.yml DIR); rejected for a workflow, whose outputs go to the store")
    Path output;

    @Option(names = "--run-id", paramLabel = "ID", description = "name of the run directory (default: NAME-TIMESTAMP)")
    String runId;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "override a param of the workflow (repeatable)")
    List<String> params = new ArrayList<>();

    @Option(names = "--cluster", paramLabel = "HOST:PORT", split = ",",
            description = "submit the run to a cluster through a node's http endpoint (see 'mtflow node'), and follow "
                    + "its progress; give more nodes (comma-separated or repeated) to go on through them when one is "
                    + "lost. The run goes on if this command stops")
    List<String> cluster;

    @Mixin
    TlsOptions tls;

    @Mixin
    EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        if (runId != null && !RunIds.valid(runId)) {
            System.err.println("error: --run-id '" + runId + "' is not a valid run id: use letters, digits, '.', '_' or '-'");
            return Main.INVALID;
        }
        if (!engine.valid()) return Main.INVALID;
        boolean mergekit = MergekitImport.isConfig(file);
        if (mergekit && output == null) {
            System.err.println("error: " + file + " is a mergekit config: give --output DIR, the directory to write the merged model to"
                    + " (as in mergekit-yaml " + file + " DIR)");
            return Main.INVALID;
        }
        if (cluster != null) {
            if (output != null && !mergekit) {
                System.err.println("error: --output applies to mergekit configs (files with merge_method) only: remove it");
                return Main.INVALID;
            }
            if (mergekit) {
                System.err.println("error: --cluster takes workflow files, and " + file + " is a mergekit config: run it here, or"
                        + " write it as a workflow with mtflow export " + file + " --output DIR > merge.yaml and submit that");
                return Main.INVALID;
            }
            return runOnCluster();
        }
        List<Device> devices = Devices.discover(!engine.jvmOnly);
        Optional<LoadedWorkflow> loaded = WorkflowFiles.load(file, params, output, devices.stream().map(Device::info).toList());
        if (loaded.isEmpty()) return Main.INVALID;
        LoadedWorkflow w = loaded.get();
        String id = runId != null ? runId : RunIds.fresh(w.spec().name());
        return engine.run(w, id, w.resolvedYaml(), devices);
    }

    private int runOnCluster() throws Exception {
        if (!java.nio.file.Files.isReadable(file)) {
            System.err.println("error: " + file + " is not a readable file");
            return Main.INVALID;
        }
        ClusterClient client = ClusterClient.open(cluster, tls);
        if (client == null) return Main.INVALID;
        String id;
        try {
            id = client.submit(file, params, runId, engine.noCache, engine.maxConcurrency);
        } catch (java.io.IOException e) {
            System.err.println("error: cannot reach a node at " + String.join(",", cluster) + ": " + e.getMessage());
            return Main.FAILED;
        }
        if (id == null) return Main.INVALID;
        System.out.println("run " + id + " submitted to " + String.join(",", cluster));
        org.mtflow.engine.event.RunEvent.RunFinished f;
        try (ConsoleView view = ConsoleView.open(engine.progress, System.out, 16)) {
            f = client.follow(id, view);
        }
        if (f == null) return Main.FAILED;
        System.out.printf(java.util.Locale.ROOT, "run %s %s in %.1f s: %d done, %d cached, %d failed, %d skipped%n",
                id, f.status(), f.millis() / 1000.0, f.succeeded(), f.cached(), f.failed(), f.skipped());
        try {
            com.fasterxml.jackson.databind.JsonNode report = client.report(id);
            if (report != null) System.out.print(ReportTables.render(report));
        } catch (java.io.IOException e) {
            // The run is done and its summary printed; its tables are only lost from this console.
            System.err.println("warning: cannot fetch the report of run " + id + " for its tables: " + e.getMessage());
        }
        return f.status().equals("succeeded") ? Main.OK : Main.FAILED;
    }
}
