package org.mtflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.mtflow.cli.Main;

/**
 * Issue 7's multi-task figures: runs samples/fashion-multitask.yaml (Fashion-MNIST as 5 binary
 * tasks; one model per task, then train.multitask with each weighting) through the CLI in-process
 * and prints each task's test accuracy (eval.metrics' task-accuracy) for individual training and for
 * every weighting, with the mean over tasks and the training time. The run lives under
 * {@code --home} with id {@code --run-id}: a second call with the same ones continues the run, so
 * finished tasks come from the cache and only the table is printed again. {@code --report FILE}
 * prints the table of an existing report.json without running anything.
 *
 * <pre>flock /tmp/mtflow-bench.lock bench/run.sh MultitaskStudy [--param epochs=5] [--param fraction=1.0] [--home DIR] [--run-id ID]</pre>
 */
public final class MultitaskStudy {
    private MultitaskStudy() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws IOException {
        Path home = Path.of("bench/target/multitask-study"), report = null;
        String runId = "study";
        List<String> params = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--home" -> home = Path.of(args[++i]);
                case "--run-id" -> runId = args[++i];
                case "--param" -> params.add(args[++i]);
                case "--report" -> report = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; usage: MultitaskStudy [--param k=v]... [--home DIR] [--run-id ID] | --report FILE");
            }
        }
        if (report == null) {
            List<String> cli = new ArrayList<>(List.of("run", "samples/fashion-multitask.yaml", "--home", home.toString(), "--run-id", runId));
            for (String p : params) cli.addAll(List.of("--param", p));
            int exit = Main.execute(cli.toArray(String[]::new));
            report = home.resolve("runs").resolve(runId).resolve("report.json");
            if (exit != 0) {
                System.err.println("the run failed (exit " + exit + "); see " + report);
                System.exit(exit);
            }
        }
        System.out.print(table(JSON.readTree(report.toFile())));
        System.exit(0); // the engine's threads do not keep a finished bench alive
    }

    /**
     * Rows: individual (single-metrics[t] of task t) and each joint-metrics[w]; columns: the tasks, their
     * mean, the mean normalized accuracy (eval.normalized: over the individual models), training seconds.
     */
    static String table(JsonNode report) {
        JsonNode tasks = report.path("tasks");
        List<String> names = new ArrayList<>();
        List<Double> single = new ArrayList<>();
        double singleSeconds = 0;
        for (int t = 0; tasks.has("single-metrics[" + t + "]"); t++) {
            Iterator<String> it = tasks.path("single-metrics[" + t + "]").path("metrics").path("task-accuracy").fieldNames();
            String name = it.next();
            names.add(name);
            single.add(tasks.path("single-metrics[" + t + "]").path("metrics").path("task-accuracy").path(name).asDouble());
            singleSeconds += seconds(tasks.path("single[" + t + "]"));
        }
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-12s", "test acc %"));
        for (String n : names) out.append(String.format(Locale.ROOT, " %15s", n));
        out.append(String.format(Locale.ROOT, " %7s %11s %8s%n", "mean", "normalized", "train s"));
        row(out, "individual", single, 1, singleSeconds);
        for (int w = 0; tasks.has("joint-metrics[" + w + "]"); w++) {
            JsonNode acc = tasks.path("joint-metrics[" + w + "]").path("metrics").path("task-accuracy");
            List<Double> figures = new ArrayList<>();
            for (String n : names) figures.add(acc.path(n).asDouble(Double.NaN));
            row(out, tasks.path("joint[" + w + "]").path("metrics").path("weighting").asText("?"), figures,
                    tasks.path("normalized[" + w + "]").path("metrics").path("normalized-accuracy").asDouble(Double.NaN), seconds(tasks.path("joint[" + w + "]")));
        }
        return out.toString();
    }

    private static void row(StringBuilder out, String label, List<Double> accuracies, double normalized, double seconds) {
        out.append(String.format(Locale.ROOT, "%-12s", label));
        double sum = 0;
        for (double a : accuracies) {
            out.append(String.format(Locale.ROOT, " %15.2f", 100 * a));
            sum += a;
        }
        out.append(String.format(Locale.ROOT, " %7.2f %11.2f %8.1f%n", 100 * sum / accuracies.size(), 100 * normalized, seconds));
    }

    private static double seconds(JsonNode task) {
        if (!task.has("start") || !task.has("end")) return Double.NaN;
        return Duration.between(Instant.parse(task.path("start").asText()), Instant.parse(task.path("end").asText())).toMillis() / 1000.0;
    }
}
