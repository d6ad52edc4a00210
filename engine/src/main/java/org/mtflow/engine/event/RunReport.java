package org.mtflow.engine.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mtflow.kernels.io.AtomicFiles;

/**
 * {@code report.json}: the state of every task, folded from the event stream. Written atomically,
 * so a reader never sees half a report.
 */
public final class RunReport implements EventSink {

    /** What report.json says of one task. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"status", "attempts", "recovered", "parent", "start", "end", "device", "outputs", "metrics",
        "error", "reason"})
    public static final class TaskState {
        public String status = "pending";
        /** Attempts started, in every session of the run. */
        public int attempts;
        /** True when a resumed session took the task's result from the journal instead of running it. */
        public Boolean recovered;
        /** For a spawned subtask: the task that spawned it. */
        public String parent;
        public Instant start;
        public Instant end;
        public String device;
        public Map<String, String> outputs;
        public ObjectNode metrics;
        public String error;
        public String reason;
    }

    @JsonPropertyOrder({"run", "name", "status", "seed", "start", "end", "sessions", "degraded", "tasks"})
    public static final class Report {
        /** How many processes worked on the run (1 + resumes). */
        public int sessions;
        /** Devices taken out of rotation: id → why. */
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        public Map<String, String> degraded = new LinkedHashMap<>();
        public String run;
        public String name;
        public String status = "running";
        public long seed;
        public Instant start;
        public Instant end;
        public Map<String, TaskState> tasks = new LinkedHashMap<>();
    }

    private final Report report = new Report();

    /** Declares the tasks up front so that report.json lists every task, in declaration order. */
    public RunReport(Iterable<String> taskIds) {
        for (String id : taskIds) report.tasks.put(id, new TaskState());
    }

    public synchronized Report report() { return report; }

    @Override
    public synchronized void accept(RunEvent event) {
        report.run = event.run();
        if (event instanceof RunEvent.RunStarted e) {
            report.name = e.name();
            report.seed = e.seed();
            if (report.start == null) report.start = e.time();
            report.sessions++;
            report.status = "running";
            report.end = null;
        } else if (event instanceof RunEvent.DeviceDegraded e) {
            report.degraded.put(e.device(), e.reason());
        } else if (event instanceof RunEvent.RunFinished e) {
            report.status = e.status();
            report.end = e.time();
        } else if (event instanceof RunEvent.TaskEvent te) {
            TaskState t = report.tasks.computeIfAbsent(te.task(), k -> new TaskState());
            if (te instanceof RunEvent.TaskQueued) {
                t.status = "queued";
            } else if (te instanceof RunEvent.TaskStarted e) {
                t.status = "running";
                t.attempts++; // across every session of a resumed run
                t.device = e.device();
                if (t.start == null) t.start = e.time();
                t.error = null;
            } else if (te instanceof RunEvent.TaskSucceeded e) {
                t.status = "succeeded";
                t.end = e.time();
                t.outputs = e.outputs();
                t.metrics = e.metrics();
            } else if (te instanceof RunEvent.TaskCached e) {
                t.status = "cached";
                t.end = e.time();
                t.outputs = e.outputs();
                t.metrics = e.metrics();
            } else if (te instanceof RunEvent.TaskRecovered e) {
                t.status = "succeeded";
                t.recovered = true;
                if (t.end == null) t.end = e.time();
                t.outputs = e.outputs();
                t.metrics = e.metrics();
            } else if (te instanceof RunEvent.TaskSpawned e) {
                t.parent = e.parent();
            } else if (te instanceof RunEvent.TaskInvalidated e) {
                t.status = "pending";
                t.recovered = null;
                t.reason = e.reason();
            } else if (te instanceof RunEvent.TaskFailed e) {
                t.error = e.error() + ": " + e.message();
                if (e.last()) {
                    t.status = "failed";
                    t.end = e.time();
                }
            } else if (te instanceof RunEvent.TaskRetrying) {
                t.status = "retrying";
            } else if (te instanceof RunEvent.TaskSkipped e) {
                t.status = "skipped";
                t.reason = e.reason();
                t.end = e.time();
            }
        }
    }

    public synchronized void write(Path file) throws IOException {
        AtomicFiles.write(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
    }
}
