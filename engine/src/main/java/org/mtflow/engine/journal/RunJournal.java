package org.mtflow.engine.journal;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.mtflow.engine.CborMessage;

/**
 * The durable record of one run: an event-sourced actor with persistence id
 * {@code "mtflow-run|" + runId}, whose every event is one batch of {@link JournalEntry entries}
 * (one write per batch is what lets a JDBC journal keep up with tens of thousands of completions a
 * second; one write per entry caps near 2k/s).
 *
 * <p>On start it replays the run's batches and keeps their entries until the first {@link Read};
 * after that it keeps nothing and is only appended to. The journal plugin comes from the actor
 * system's config: {@link JournalSettings#durable} or {@link JournalSettings#inMemory}.
 *
 * <p>It fails loudly: a write that fails, a rejected event, a failed recovery, more commands
 * waiting behind a write than the stash holds (with the overflow strategy "fail" that
 * {@link JournalSettings} sets), or a second {@link Read} stop the actor, and whoever watches it
 * (the run coordinator) sees it terminate; nothing is dropped quietly. {@link Appended} is sent
 * only after the batch's write committed, so every acknowledged entry is in the journal.
 */
public final class RunJournal {
    private RunJournal() {}

    /** The persistence id prefix; the run id follows it. */
    public static final String PERSISTENCE_ID_PREFIX = "mtflow-run|";

    public sealed interface Command extends CborMessage {}

    /** Persists the entries as ONE event; replies {@link Appended} after the write succeeded. */
    public record Append(List<JournalEntry> entries, ActorRef<Appended> replyTo) implements Command {}

    /** @param count the number of entries written */
    public record Appended(int count) implements CborMessage {}

    /**
     * Replies with every entry recovered from the journal for this run, in order; then the journal
     * drops them from memory. Ask once: a second Read fails the journal.
     */
    public record Read(ActorRef<History> replyTo) implements Command {}

    public record History(List<JournalEntry> entries) implements CborMessage {}

    /**
     * The persisted event: one Append's entries. Its class name is the event's serializer manifest,
     * so renaming or moving it makes existing journals unreadable.
     */
    record Batch(List<JournalEntry> entries) implements CborMessage {}

    public static Behavior<Command> create(String runId) {
        if (runId == null || runId.isEmpty()) throw new IllegalArgumentException("a run journal needs a run id");
        return new Journal(PersistenceId.ofUniqueId(PERSISTENCE_ID_PREFIX + runId));
    }

    /** Mutable on purpose: only the actor touches it, and copying 100k entries per event would not do. */
    static final class State {
        private List<JournalEntry> recovered = new ArrayList<>();
        private boolean live;

        private void replay(Batch batch) {
            if (!live) recovered.addAll(batch.entries());
        }

        private List<JournalEntry> takeRecovered() {
            if (recovered == null) {
                throw new IllegalStateException("the journal was read already: its recovered entries are gone");
            }
            List<JournalEntry> taken = recovered;
            recovered = null;
            return taken;
        }
    }

    private static final class Journal extends EventSourcedBehavior<Command, Batch, State> {
        Journal(PersistenceId id) {
            super(id);
        }

        @Override
        public State emptyState() {
            return new State();
        }

        @Override
        public CommandHandler<Command, Batch, State> commandHandler() {
            return newCommandHandlerBuilder()
                    .forAnyState()
                    .onCommand(Append.class, (state, append) -> {
                        List<JournalEntry> entries = List.copyOf(append.entries());
                        if (entries.isEmpty()) return Effect().reply(append.replyTo(), new Appended(0));
                        return Effect().persist(new Batch(entries))
                                .thenReply(append.replyTo(), s -> new Appended(entries.size()));
                    })
                    .onCommand(Read.class, (state, read) ->
                            Effect().reply(read.replyTo(), new History(state.takeRecovered())))
                    .build();
        }

        @Override
        public EventHandler<State, Batch> eventHandler() {
            return newEventHandlerBuilder()
                    .forAnyState()
                    .onEvent(Batch.class, (state, batch) -> {
                        // New batches are only written, never kept: the coordinator has them already.
                        state.replay(batch);
                        return state;
                    })
                    .build();
        }

        @Override
        public SignalHandler<State> signalHandler() {
            return newSignalHandlerBuilder()
                    .onSignal(RecoveryCompleted.instance(), state -> state.live = true)
                    .build();
        }
    }
}
