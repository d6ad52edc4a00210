package org.mtflow.nodes.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classification figures from predictions and true labels: per task the accuracy, the mean
 * cross-entropy of the logits (in float64, max-subtracted so large logits do not overflow), the
 * confusion matrix and the macro recall; over all tasks micro and macro averages ({@link Metrics#of}).
 */
public final class Evaluation {
    private Evaluation() {}

    /**
     * Evaluates {@code p} against {@code truth}.
     *
     * @param classes    the number of classes; labels and predictions must lie in [0, classes)
     * @param singleTask the name of the one task when {@code p} has no task ids and names none
     * @throws IllegalArgumentException when sizes disagree or a label or prediction is not a class
     */
    public static Metrics evaluate(Predictions p, int[] truth, List<String> classNames, int classes, String dataset,
                                   String split, String singleTask) {
        int n = p.size();
        if (truth.length != n) {
            throw new IllegalArgumentException(n + " predictions for " + truth.length + " examples of the " + split
                    + " split: predictions must cover the split's examples in order");
        }
        if (p.logits() != null && p.logits().dim(1) != classes) {
            throw new IllegalArgumentException("logits have " + p.logits().dim(1) + " classes, the dataset " + classes);
        }
        int taskCount = p.tasks() == null ? 1 : p.taskNames().size();
        if (p.tasks() != null) for (int t : p.tasks()) taskCount = Math.max(taskCount, t + 1);
        long[][][] confusion = new long[taskCount][classes][classes];
        double[] lossSum = new double[taskCount];
        for (int i = 0; i < n; i++) {
            int y = truth[i], guess = p.predicted()[i];
            if (y < 0 || y >= classes) throw new IllegalArgumentException("label of example " + i + " is " + y + ", not one of " + classes + " classes");
            if (guess >= classes) throw new IllegalArgumentException("prediction " + i + " is class " + guess + ", but there are " + classes + " classes");
            int t = p.tasks() == null ? 0 : p.tasks()[i];
            confusion[t][y][guess]++;
            if (p.logits() != null) lossSum[t] += crossEntropy(p.logits().data(), i * classes, classes, y);
        }
        Map<String, Metrics.TaskMetrics> tasks = new LinkedHashMap<>();
        for (int t = 0; t < taskCount; t++) {
            String name = p.tasks() == null && p.taskNames().isEmpty() ? singleTask : p.taskName(t);
            if (tasks.containsKey(name)) throw new IllegalArgumentException("two tasks are named '" + name + "'");
            tasks.put(name, task(confusion[t], p.logits() == null ? null : lossSum[t]));
        }
        return Metrics.of(dataset, split, classNames, tasks);
    }

    private static Metrics.TaskMetrics task(long[][] confusion, Double lossSum) {
        long examples = 0, correct = 0;
        double recallSum = 0;
        int present = 0;
        for (int c = 0; c < confusion.length; c++) {
            long row = 0;
            for (long v : confusion[c]) row += v;
            examples += row;
            correct += confusion[c][c];
            if (row > 0) {
                recallSum += (double) confusion[c][c] / row;
                present++;
            }
        }
        boolean any = examples > 0;
        return new Metrics.TaskMetrics(examples, correct, any ? (double) correct / examples : null,
                any && lossSum != null ? lossSum / examples : null, any ? recallSum / present : null, confusion);
    }

    /** −log softmax(z)[label] of the row at {@code base}: log Σ e^(z − max) + max − z[label], in double. */
    static double crossEntropy(float[] z, int base, int classes, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) max = Math.max(max, z[base + c]);
        double sum = 0;
        for (int c = 0; c < classes; c++) sum += Math.exp(z[base + c] - max);
        return Math.log(sum) + max - z[base + label];
    }
}
