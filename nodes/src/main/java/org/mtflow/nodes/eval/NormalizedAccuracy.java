package org.mtflow.nodes.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Normalized accuracy, the yardstick of the model-merging literature: a model's accuracy on a task
 * divided by the accuracy of that task's own fine-tuned model (1 = as good as the specialist).
 *
 * @param tasks        per task of the model, in its order
 * @param mean         mean of the tasks' normalized accuracies
 * @param meanAccuracy mean of the model's (absolute) accuracies over the same tasks
 */
public record NormalizedAccuracy(String format, Map<String, Task> tasks, double mean,
                                 @com.fasterxml.jackson.annotation.JsonProperty("mean-accuracy") double meanAccuracy) {
    public static final String FORMAT = "mtflow.normalized-accuracy/1";

    public record Task(double accuracy, @com.fasterxml.jackson.annotation.JsonProperty("reference-accuracy") double referenceAccuracy,
                       double normalized) {}

    public NormalizedAccuracy {
        tasks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
    }

    /**
     * Normalizes every task of {@code accuracy} by its entry in {@code reference}.
     *
     * @throws IllegalArgumentException for a task without a reference, a reference accuracy of 0
     *                                  (nothing to normalize by), or no tasks at all
     */
    public static NormalizedAccuracy of(Map<String, Double> accuracy, Map<String, Double> reference) {
        if (accuracy.isEmpty()) throw new IllegalArgumentException("the model's metrics have no task with examples");
        Map<String, Task> tasks = new LinkedHashMap<>();
        double sum = 0, accSum = 0;
        for (Map.Entry<String, Double> e : accuracy.entrySet()) {
            Double ref = reference.get(e.getKey());
            if (ref == null) {
                throw new IllegalArgumentException("no reference accuracy for task '" + e.getKey() + "'; references cover "
                        + reference.keySet() + " (add the metrics of that task's fine-tuned model)");
            }
            if (!(ref > 0)) {
                throw new IllegalArgumentException("the reference accuracy of task '" + e.getKey() + "' is " + ref
                        + "; normalized accuracy needs a reference that got something right");
            }
            double norm = e.getValue() / ref;
            tasks.put(e.getKey(), new Task(e.getValue(), ref, norm));
            sum += norm;
            accSum += e.getValue();
        }
        return new NormalizedAccuracy(FORMAT, tasks, sum / tasks.size(), accSum / tasks.size());
    }

    /**
     * Task → accuracy over several metrics artifacts (say, one per task's dataset), tasks without
     * examples left out.
     *
     * @param names what each artifact is called in errors
     * @throws IllegalArgumentException when two artifacts give an accuracy for the same task
     */
    public static Map<String, Double> accuracies(List<Metrics> metrics, List<String> names) {
        Map<String, Double> out = new LinkedHashMap<>();
        Map<String, String> from = new LinkedHashMap<>();
        for (int i = 0; i < metrics.size(); i++) {
            for (Map.Entry<String, Double> e : metrics.get(i).taskAccuracies().entrySet()) {
                String before = from.putIfAbsent(e.getKey(), names.get(i));
                if (before != null) {
                    throw new IllegalArgumentException("task '" + e.getKey() + "' has an accuracy in both " + before + " and "
                            + names.get(i) + "; give each task's figures once");
                }
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }
}
