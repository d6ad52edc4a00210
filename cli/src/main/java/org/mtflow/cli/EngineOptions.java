package org.mtflow.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.mtflow.devices.Device;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.engine.run.Engine;
import org.mtflow.engine.run.EngineSettings;
import org.mtflow.engine.run.RunOptions;
import org.mtflow.engine.run.RunOutcome;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.nodes.BuiltinNodes;
import picocli.CommandLine.Option;

/** The options of commands that run a workflow (run, resume), and running it. */
final class EngineOptions {

    @Option(names = "--home", paramLabel = "DIR", description = "state directory (default: $MTFLOW_HOME, else ./.mtflow)")
    Path home;

    @Option(names = "--no-cache", description = "run every task, even those with a cached result")
    boolean noCache;

    @Option(names = "--max-concurrency", paramLabel = "N", description = "the most tasks running at once (default: as many as the devices take)")
    int maxConcurrency;

    @Option(names = "--jvm-only", description = "use only the JVM device, not OpenCL")
    boolean jvmOnly;

    @Option(names = "--slots", paramLabel = "DEVICE=N",
            description = "how many tasks a device runs at once (repeatable; default: a core each for jvm, 1 per OpenCL device)")
    List<String> slots = new ArrayList<>();

    @Option(names = "--no-journal", description = "keep no run journal: faster for huge runs of tiny tasks, but a crashed "
            + "run resumes from the cache alone")
    boolean noJournal;

    @Option(names = "--max-spawned", paramLabel = "N", description = "the most subtasks the run's tasks may spawn (default: "
            + RunOptions.DEFAULT_MAX_SPAWNED + ")")
    int maxSpawned = RunOptions.DEFAULT_MAX_SPAWNED;

    @Option(names = "--max-spawn-depth", paramLabel = "N", description = "how deep spawned subtasks may nest (default: "
            + RunOptions.DEFAULT_MAX_SPAWN_DEPTH + ")")
    int maxSpawnDepth = RunOptions.DEFAULT_MAX_SPAWN_DEPTH;

    @Option(names = "--progress", paramLabel = "MODE",
            description = "how progress is shown: ${COMPLETION-CANDIDATES}; auto (the default) shows bars "
                    + "when stdout is a terminal, else one line per finished task and a summary every 5 s")
    ProgressMode progress = ProgressMode.auto;

    /** Whether the options make sense; if not, says why on stderr (the command then exits 2). */
    boolean valid() {
        String problem = problem();
        if (problem != null) System.err.println("error: " + problem);
        return problem == null;
    }

    private String problem() {
        if (maxConcurrency < 0) return "--max-concurrency must be 0 (no cap) or more";
        if (maxSpawned < 0) return "--max-spawned must be 0 or more";
        if (maxSpawnDepth < 0) return "--max-spawn-depth must be 0 or more";
        try {
            slotMap();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return null;
    }

    Map<String, Integer> slotMap() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String s : slots) {
            int eq = s.indexOf('=');
            try {
                if (eq <= 0) throw new NumberFormatException();
                int n = Integer.parseInt(s.substring(eq + 1).trim());
                if (n < 1) throw new NumberFormatException();
                out.put(s.substring(0, eq).trim(), n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--slots '" + s + "' must be DEVICE=N with N >= 1, e.g. --slots jvm=4");
            }
        }
        return out;
    }

    /** Runs (or resumes) the workflow as run {@code id}, printing progress; returns the exit code. */
    int run(LoadedWorkflow w, String id, String specText, List<Device> devices) throws Exception {
        EngineSettings settings = new EngineSettings(slotMap(),
                noJournal ? EngineSettings.Journal.OFF : EngineSettings.Journal.DURABLE);
        int idWidth = w.spec().tasks().stream().map(TaskSpec::id).mapToInt(String::length).max().orElse(4);
        try (Engine engine = new Engine(Home.resolve(home), BuiltinNodes.catalog(), devices, settings)) {
            RunOptions options = new RunOptions(id, specText, !noCache, maxConcurrency, maxSpawned, maxSpawnDepth);
            System.out.println("run " + id + ": " + w.spec().tasks().size() + " tasks on "
                    + devices.stream().map(d -> d.id() + " (" + d.info().name() + ")").collect(Collectors.joining(", ")));
            RunOutcome o;
            // Closed (its last lines written, its bars gone) before the summary below is printed.
            try (ConsoleView view = ConsoleView.open(progress, System.out, idWidth)) {
                o = engine.run(w.spec(), options, view);
            }
            System.out.printf(Locale.ROOT, "run %s %s in %.1f s: %d done, %d cached, %d failed, %d skipped%n",
                    id, o.status(), o.millis() / 1000.0, o.succeeded(), o.cached(), o.failed(), o.skipped());
            Path report = engine.runDir(id).resolve("report.json");
            System.out.println("report: " + report);
            System.out.print(ReportTables.render(org.mtflow.engine.event.Json.MAPPER.readTree(report.toFile())));
            return o.ok() ? Main.OK : Main.FAILED;
        } catch (IllegalArgumentException e) {
            // A bad --slots device, or a run id that exists with another workflow.
            System.err.println("error: " + e.getMessage());
            return Main.INVALID;
        }
    }
}
