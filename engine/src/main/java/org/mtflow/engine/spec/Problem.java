package org.mtflow.engine.spec;

import java.util.List;

/**
 * One thing wrong with a workflow, found before anything runs.
 *
 * @param path       where in the workflow, as keys and list indexes from the top, e.g.
 *                   {@code [tasks, b, inputs, values, 1]}; the loader turns it into file:line:column
 * @param message    what is wrong
 * @param suggestion how to fix it (e.g. "did you mean 'util.noop'?"), or null
 */
public record Problem(List<Object> path, String message, String suggestion) {
    public Problem {
        path = List.copyOf(path);
    }

    public static Problem at(List<Object> path, String message) {
        return new Problem(path, message, null);
    }

    public static Problem at(List<Object> path, String message, String suggestion) {
        return new Problem(path, message, suggestion);
    }

    /** The message with its suggestion, as printed. */
    public String text() {
        return suggestion == null ? message : message + " (" + suggestion + ")";
    }

    /** The path as dotted text, e.g. {@code tasks.b.inputs.values[1]}. */
    public String pathText() {
        StringBuilder sb = new StringBuilder();
        for (Object p : path) {
            if (p instanceof Integer i) sb.append('[').append(i).append(']');
            else sb.append(sb.length() == 0 ? "" : ".").append(p);
        }
        return sb.toString();
    }
}
