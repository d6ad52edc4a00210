package org.mtflow.engine.run;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.mtflow.engine.CborMessage;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.store.ArtifactRef;

/**
 * A cluster's runs: one instance in the whole cluster (a Pekko cluster singleton, on the oldest
 * node), event-sourced in the cluster's shared journal. It accepts runs, coordinates each as its
 * child on its own node, and records how each ended. When its node is lost, the singleton starts
 * again on the next oldest node, replays this record, and resumes every run that had not ended
 * from the run's own journal: tasks journaled as done are not run again, and their outputs are
 * fetched from the nodes that hold them.
 *
 * <p>The run's spec travels as an artifact (a workflow may be larger than a cluster message may):
 * the node a client submitted to stores it, and this actor fetches it from that node.
 */
public final class RunRegistry {
    private RunRegistry() {}

    /** The singleton's name, and the persistence id of its record. */
    public static final String NAME = "mtflow-runs";

    /** Turns a run's resolved spec text back into the spec (the DSL's loader: the engine knows no YAML). */
    @FunctionalInterface
    public interface SpecReader {
        WorkflowSpec read(String specText) throws Exception;
    }

    public sealed interface Command extends CborMessage {}

    /**
     * Starts a run of the spec stored as {@code spec} on the node whose artifact endpoint is
     * {@code from}; {@code options.specText()} is empty (the spec comes from the artifact).
     */
    public record Submit(RunOptions options, ArtifactRef spec, String from, ActorRef<Reply> replyTo) implements Command {}

    /** Where a run is (or was) coordinated. */
    public record Locate(String runId, ActorRef<Reply> replyTo) implements Command {}

    public record Cancel(String runId, String reason, ActorRef<Reply> replyTo) implements Command {}

    /** Tells the singleton to stop when it hands over to another node: its runs stop with it. */
    public record Stop() implements Command {}

    record SpecFetched(Submit submit, String specText, String error) implements Command {}

    record RunOver(String runId, String status) implements Command {}

    public sealed interface Reply extends CborMessage {}

    /**
     * @param node   the HTTP endpoint of the node that coordinates (or coordinated) the run: its
     *               events and report are there
     * @param status "running", or how it ended
     */
    public record RunAt(String runId, String node, String status) implements Reply {}

    /** @param code the HTTP status that says why: 404 no such run, 409 it runs already, 422 invalid */
    public record Refused(int code, String message) implements Reply {}

    /** The persisted events; their class names are the journal's manifests: do not rename. */
    sealed interface Event extends CborMessage {}

    record RunAccepted(RunOptions options) implements Event {}

    record RunEnded(String runId, String status, String node) implements Event {}

    /** What is known of one run; the spec text is kept only while it runs (a resume needs it). */
    static final class Entry {
        RunOptions options;
        String specHash;
        String status = "running";
        String node;
    }

    /** Mutable on purpose: only the actor touches it. */
    static final class State {
        final Map<String, Entry> runs = new HashMap<>();
    }

    /** {@code say}: where the registry tells what it does with runs (a node prints it). */
    public static Behavior<Command> create(Engine engine, SpecReader reader, Consumer<String> say) {
        return Behaviors.setup(ctx -> new Registry(ctx, engine, reader, say));
    }

    private static final class Registry extends EventSourcedBehavior<Command, Event, State> {
        private final ActorContext<Command> ctx;
        private final Engine engine;
        private final SpecReader reader;
        private final String here;
        private final Consumer<String> say;

        Registry(ActorContext<Command> ctx, Engine engine, SpecReader reader, Consumer<String> say) {
            super(PersistenceId.ofUniqueId(NAME));
            this.ctx = ctx;
            this.engine = engine;
            this.reader = reader;
            this.say = say;
            this.here = engine.server().base().toString();
        }

        @Override
        public State emptyState() {
            return new State();
        }

        @Override
        public CommandHandler<Command, Event, State> commandHandler() {
            return newCommandHandlerBuilder()
                    .forAnyState()
                    .onCommand(Submit.class, this::onSubmit)
                    .onCommand(SpecFetched.class, this::onSpecFetched)
                    .onCommand(Locate.class, (state, m) -> Effect().reply(m.replyTo(), where(state, m.runId())))
                    .onCommand(Cancel.class, this::onCancel)
                    .onCommand(RunOver.class, (state, m) -> Effect().persist(new RunEnded(m.runId(), m.status(), here))
                            .thenRun(after -> say.accept("run " + m.runId() + " ended " + m.status())))
                    .onCommand(Stop.class, (state, m) -> Effect().stop())
                    .build();
        }

        private Effect<Event, State> onSubmit(State state, Submit m) {
            Entry e = state.runs.get(m.options().runId());
            if (e != null && e.status.equals("running")) {
                return Effect().reply(m.replyTo(), new Refused(409, "run '" + m.options().runId() + "' is already running"));
            }
            if (e != null && !e.specHash.equals(m.spec().sha256())) {
                return Effect().reply(m.replyTo(), new Refused(422, "run '" + m.options().runId() + "' exists with a"
                        + " different workflow; resume it with the same workflow, or start a new run id"));
            }
            // Fetching may take a while: off the actor's thread, and back as a message.
            ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
                try {
                    return Files.readString(engine.fetcher().fetch(URI.create(m.from()), m.spec()), StandardCharsets.UTF_8);
                } catch (IOException e2) {
                    throw new java.io.UncheckedIOException(e2);
                }
            }), (text, error) -> new SpecFetched(m, text, error == null ? null : String.valueOf(error.getMessage())));
            return Effect().none();
        }

        private Effect<Event, State> onSpecFetched(State state, SpecFetched m) {
            Submit s = m.submit();
            if (m.error() != null) {
                return Effect().reply(s.replyTo(), new Refused(503, "cannot fetch the workflow from " + s.from() + ": " + m.error()));
            }
            Entry e = state.runs.get(s.options().runId());
            if (e != null && e.status.equals("running")) { // submitted twice at once
                return Effect().reply(s.replyTo(), new Refused(409, "run '" + s.options().runId() + "' is already running"));
            }
            RunOptions o = s.options();
            RunOptions options = new RunOptions(o.runId(), m.specText(), o.useCache(), o.maxConcurrency(), o.maxSpawned(),
                    o.maxSpawnDepth());
            WorkflowSpec spec;
            try {
                spec = reader.read(options.specText());
            } catch (Exception ex) {
                return Effect().reply(s.replyTo(), new Refused(422, "error: " + ex.getMessage()));
            }
            return Effect().persist(new RunAccepted(options)).thenRun(after -> {
                String problem = start(spec, options);
                say.accept("run " + options.runId() + (problem == null ? " started here" : " cannot start: " + problem));
                if (problem != null) ctx.getSelf().tell(new RunOver(options.runId(), "failed"));
                s.replyTo().tell(problem != null ? new Refused(422, problem) : new RunAt(options.runId(), here, "running"));
            });
        }

        private Effect<Event, State> onCancel(State state, Cancel m) {
            Entry e = state.runs.get(m.runId());
            if (e == null) return Effect().reply(m.replyTo(), new Refused(404, "no run '" + m.runId() + "' in this cluster"));
            if (e.status.equals("running")) engine.cancel(m.runId(), m.reason());
            return Effect().reply(m.replyTo(), new RunAt(m.runId(), e.node, e.status));
        }

        /**
         * After a failover (or a whole-cluster restart): every run that had not ended goes on here,
         * started before any command waiting for the recovery is answered.
         */
        private void resumeRuns(State state) {
            long open = state.runs.values().stream().filter(e -> e.status.equals("running")).count();
            say.accept("run registry here: " + state.runs.size() + " runs known, " + open + " to resume");
            for (Map.Entry<String, Entry> r : state.runs.entrySet()) {
                Entry e = r.getValue();
                if (!e.status.equals("running") || engine.running(r.getKey())) continue;
                String problem;
                try {
                    problem = start(reader.read(e.options.specText()), e.options);
                } catch (Exception ex) {
                    problem = ex.getMessage();
                }
                if (problem == null) {
                    say.accept("run " + r.getKey() + " resumed here from its journal");
                } else {
                    say.accept("run " + r.getKey() + " cannot resume here: " + problem);
                    ctx.getSelf().tell(new RunOver(r.getKey(), "failed"));
                }
            }
        }

        /** Starts (or resumes) a run as this actor's child; returns why it could not, or null. */
        private String start(WorkflowSpec spec, RunOptions options) {
            try {
                Engine.RunHandle handle = engine.start(spec, options, null, ctx::spawn);
                ctx.pipeToSelf(handle.done(), (outcome, error) ->
                        new RunOver(options.runId(), error != null ? "failed" : outcome.status()));
                return null;
            } catch (IOException | RuntimeException e) {
                return "cannot start run '" + options.runId() + "': " + e.getMessage();
            }
        }

        private Reply where(State state, String runId) {
            Entry e = state.runs.get(runId);
            if (e == null) return new Refused(404, "no run '" + runId + "' in this cluster");
            return new RunAt(runId, e.status.equals("running") ? here : e.node, e.status);
        }

        @Override
        public EventHandler<State, Event> eventHandler() {
            return newEventHandlerBuilder()
                    .forAnyState()
                    .onEvent(RunAccepted.class, (state, ev) -> {
                        Entry e = new Entry();
                        e.options = ev.options();
                        e.specHash = ArtifactRef.sha256Of(ev.options().specText().getBytes(StandardCharsets.UTF_8));
                        e.node = here;
                        state.runs.put(ev.options().runId(), e);
                        return state;
                    })
                    .onEvent(RunEnded.class, (state, ev) -> {
                        Entry e = state.runs.get(ev.runId());
                        if (e != null) {
                            e.status = ev.status();
                            e.node = ev.node();
                            e.options = null; // an ended run's spec is in its directory on that node
                        }
                        return state;
                    })
                    .build();
        }

        @Override
        public SignalHandler<State> signalHandler() {
            return newSignalHandlerBuilder()
                    .onSignal(RecoveryCompleted.instance(), this::resumeRuns)
                    .build();
        }
    }
}
