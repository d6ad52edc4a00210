package org.mtflow.engine.node;

import java.util.concurrent.CompletableFuture;

/** A subtask spawned by a running task: its id and, once it ends, its result. */
public final class Subtask {
    private final String id;
    private final CompletableFuture<SubtaskResult> result = new CompletableFuture<>();

    public Subtask(String id) {
        this.id = id;
    }

    public String id() { return id; }

    /** Completes when the subtask ends (see {@link TaskContext#await}). */
    public CompletableFuture<SubtaskResult> result() { return result; }

    @Override
    public String toString() { return "Subtask[" + id + "]"; }
}
