package org.mtflow.nodes.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.format.FormatException;

/**
 * A classifier's figures on one dataset split, per task and over all tasks: the metrics artifact
 * ({@code format = mtflow.metrics/1}, JSON) that {@code eval.metrics} writes and {@code eval.normalized}
 * reads. Figures that are undefined (the accuracy of a task without examples, a loss without logits)
 * are null, never NaN.
 *
 * @param accuracy      micro average: correct / examples over all tasks
 * @param macroAccuracy mean of the tasks' accuracies (tasks with examples)
 * @param loss          mean cross-entropy over all examples (null without logits)
 * @param macroLoss     mean of the tasks' losses (tasks with examples)
 * @param tasks         per task, in task index order
 */
public record Metrics(
        String format,
        String dataset,
        String split,
        List<String> classes,
        long examples,
        long correct,
        Double accuracy,
        @JsonProperty("macro-accuracy") Double macroAccuracy,
        Double loss,
        @JsonProperty("macro-loss") Double macroLoss,
        Map<String, TaskMetrics> tasks) {
    public static final String FORMAT = "mtflow.metrics/1";
    static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One task's figures.
     *
     * @param confusion   [true class][predicted class] example counts
     * @param macroRecall mean over classes with examples of the share of them predicted right
     *                    (balanced accuracy)
     */
    public record TaskMetrics(
            long examples,
            long correct,
            Double accuracy,
            Double loss,
            @JsonProperty("macro-recall") Double macroRecall,
            long[][] confusion) {}

    public Metrics {
        classes = classes == null ? List.of() : List.copyOf(classes);
        tasks = tasks == null ? null : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
    }

    /** The figures over all tasks, derived from the tasks'. */
    public static Metrics of(String dataset, String split, List<String> classes, Map<String, TaskMetrics> tasks) {
        long examples = 0, correct = 0;
        double lossSum = 0, accSum = 0, taskLossSum = 0;
        int withExamples = 0;
        boolean losses = true;
        for (TaskMetrics t : tasks.values()) {
            examples += t.examples();
            correct += t.correct();
            if (t.examples() == 0) continue;
            withExamples++;
            accSum += t.accuracy();
            if (t.loss() == null) {
                losses = false;
            } else {
                lossSum += t.loss() * t.examples();
                taskLossSum += t.loss();
            }
        }
        boolean any = withExamples > 0;
        return new Metrics(FORMAT, dataset, split, classes, examples, correct,
                any ? (double) correct / examples : null,
                any ? accSum / withExamples : null,
                any && losses ? lossSum / examples : null,
                any && losses ? taskLossSum / withExamples : null,
                tasks);
    }

    /** Task name → accuracy, for tasks with examples. */
    public Map<String, Double> taskAccuracies() {
        Map<String, Double> out = new LinkedHashMap<>();
        tasks.forEach((k, t) -> {
            if (t.accuracy() != null) out.put(k, t.accuracy());
        });
        return out;
    }

    public void write(OutputStream out) throws IOException {
        out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
    }

    public static Metrics read(Path file) throws IOException {
        Metrics m;
        try {
            m = JSON.readValue(file.toFile(), Metrics.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FormatException(file, "not a metrics artifact: " + e.getOriginalMessage());
        }
        if (m == null || !FORMAT.equals(m.format())) {
            throw new FormatException(file, "not a metrics artifact (format is " + (m == null ? null : m.format())
                    + ", expected " + FORMAT + "); eval.metrics writes them");
        }
        if (m.tasks() == null) throw new FormatException(file, "metrics artifact has no 'tasks'");
        return m;
    }
}
