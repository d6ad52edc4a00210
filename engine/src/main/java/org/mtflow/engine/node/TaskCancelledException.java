package org.mtflow.engine.node;

/** Thrown by {@link TaskContext#checkCancelled()} once the task was cancelled or timed out. */
public final class TaskCancelledException extends RuntimeException {
    public TaskCancelledException(String message) {
        super(message);
    }
}
