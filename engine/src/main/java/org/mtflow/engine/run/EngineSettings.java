package org.mtflow.engine.run;

import java.nio.file.Path;
import java.util.Map;

/**
 * How an engine runs, beyond its devices.
 *
 * @param slots   device id → attempts it runs at once, overriding the default (one per core for the
 *                JVM device, one kernel stream per OpenCL device)
 * @param journal where runs record finished tasks so that a resumed run never repeats them
 * @param sharedStore a store directory that every node of a cluster mounts (NFS…), used instead
 *                of {@code home/store}: no artifact moves between nodes and none is lost with a
 *                node; null for the node's own store
 */
public record EngineSettings(Map<String, Integer> slots, Journal journal, Path sharedStore) {

    public enum Journal {
        /** The embedded on-disk journal under {@code home/journal}: runs resume after a crash. */
        DURABLE,
        /** A journal in memory: resume works within one process only (tests). */
        IN_MEMORY,
        /** No journal: fastest; a crashed run resumes from the cache alone. */
        OFF,
        /**
         * The journal the engine's configuration names ({@code pekko.persistence.journal.plugin}):
         * a cluster's shared PostgreSQL ({@link org.mtflow.engine.journal.JournalSettings#postgres}).
         */
        CONFIGURED
    }

    public EngineSettings {
        slots = Map.copyOf(slots);
        slots.forEach((device, n) -> {
            if (n < 1) throw new IllegalArgumentException("device " + device + " needs at least 1 slot, not " + n);
        });
    }

    public EngineSettings(Map<String, Integer> slots, Journal journal) {
        this(slots, journal, null);
    }

    public static EngineSettings defaults() {
        return new EngineSettings(Map.of(), Journal.DURABLE);
    }

    public EngineSettings withJournal(Journal j) {
        return new EngineSettings(slots, j, sharedStore);
    }

    public EngineSettings withSlots(Map<String, Integer> s) {
        return new EngineSettings(s, journal, sharedStore);
    }

    public EngineSettings withSharedStore(Path dir) {
        return new EngineSettings(slots, journal, dir);
    }
}
