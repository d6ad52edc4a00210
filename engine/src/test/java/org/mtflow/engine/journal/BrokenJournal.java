package org.mtflow.engine.journal;

import com.typesafe.config.Config;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import scala.concurrent.Future;

/**
 * A journal plugin for tests whose writes go wrong the way a database can: {@code mode = fail}
 * fails every write, {@code mode = hang} never finishes one. Recovery finds an empty journal.
 */
public final class BrokenJournal extends AsyncWriteJournal {
    private final String mode;

    public BrokenJournal(Config config) {
        this.mode = config.getString("mode");
    }

    /** Config that makes a BrokenJournal in the given mode the default journal. */
    static String config(String mode) {
        return """
                pekko.persistence.journal.plugin = "broken-journal"
                broken-journal { class = "%s", mode = "%s" }
                """.formatted(BrokenJournal.class.getName(), mode);
    }

    @Override
    public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
        if (mode.equals("hang")) return Futures.<Iterable<Optional<Exception>>>promise().future();
        return Futures.failed(new java.io.IOException("the test journal's disk is gone"));
    }

    @Override
    public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
        return Futures.successful(null);
    }

    @Override
    public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
                                              Consumer<PersistentRepr> replayCallback) {
        return Futures.successful(null);
    }

    @Override
    public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
        return Futures.successful(0L);
    }
}
