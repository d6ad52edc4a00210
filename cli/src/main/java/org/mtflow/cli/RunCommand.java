package org.mtflow.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.mtflow.devices.Device;
import org.mtflow.devices.Devices;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.engine.run.Engine;
import org.mtflow.engine.run.RunIds;
import org.mtflow.engine.run.RunOptions;
import org.mtflow.engine.run.RunOutcome;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.nodes.BuiltinNodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs a workflow. State goes to HOME/runs/RUN-ID (spec.yaml, events.jsonl, report.json) "
                + "and HOME/store (artifacts, cache).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every task succeeded", "1:the run failed", "2:the input is invalid"})
final class RunCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "the workflow (YAML)")
    Path file;

    @Option(names = "--run-id", paramLabel = "ID", description = "name of the run directory (default: NAME-TIMESTAMP)")
    String runId;

    @Option(names = "--home", paramLabel = "DIR", description = "state directory (default: $MTFLOW_HOME, else ./.mtflow)")
    Path home;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "override a param of the workflow (repeatable)")
    List<String> params = new ArrayList<>();

    @Option(names = "--no-cache", description = "run every task, even those with a cached result")
    boolean noCache;

    @Option(names = "--max-concurrency", paramLabel = "N", description = "the most tasks running at once (default: as many as the devices take)")
    int maxConcurrency;

    @Option(names = "--jvm-only", description = "use only the JVM device, not OpenCL")
    boolean jvmOnly;

    @Option(names = "--progress", paramLabel = "MODE",
            description = "how progress is shown: ${COMPLETION-CANDIDATES}; auto (the default) shows bars "
                    + "when stdout is a terminal, else one line per finished task and a summary every 5 s")
    ProgressMode progress = ProgressMode.auto;

    @Override
    public Integer call() throws Exception {
        if (runId != null && !RunIds.valid(runId)) {
            System.err.println("error: --run-id '" + runId + "' is not a valid run id: use letters, digits, '.', '_' or '-'");
            return Main.INVALID;
        }
        if (maxConcurrency < 0) {
            System.err.println("error: --max-concurrency must be 0 (no cap) or more");
            return Main.INVALID;
        }
        List<Device> devices = Devices.discover(!jvmOnly);
        Optional<LoadedWorkflow> loaded = WorkflowFiles.load(file, params, devices.stream().map(Device::info).toList());
        if (loaded.isEmpty()) return Main.INVALID;
        LoadedWorkflow w = loaded.get();
        String id = runId != null ? runId : RunIds.fresh(w.spec().name());
        Path homeDir = Home.resolve(home);
        int idWidth = w.spec().tasks().stream().map(TaskSpec::id).mapToInt(String::length).max().orElse(4);
        try (Engine engine = new Engine(homeDir, BuiltinNodes.catalog(), devices)) {
            System.out.println("run " + id + ": " + w.spec().tasks().size() + " tasks on "
                    + devices.stream().map(d -> d.id() + " (" + d.info().name() + ")").collect(Collectors.joining(", ")));
            RunOutcome o;
            // Closed (its last lines written, its bars gone) before the summary below is printed.
            try (ConsoleView view = ConsoleView.open(progress, System.out, idWidth)) {
                o = engine.run(w.spec(), new RunOptions(id, w.resolvedYaml(), !noCache, maxConcurrency), view);
            }
            System.out.printf(Locale.ROOT, "run %s %s in %.1f s: %d done, %d cached, %d failed, %d skipped%n",
                    id, o.status(), o.millis() / 1000.0, o.succeeded(), o.cached(), o.failed(), o.skipped());
            System.out.println("report: " + engine.runDir(id).resolve("report.json"));
            return o.ok() ? Main.OK : Main.FAILED;
        }
    }
}
