package org.mtflow.engine.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;

/**
 * Where and how the {@link RunJournal} stores events: Pekko config to put in front of the engine's
 * ({@code JournalSettings.durable(home.resolve("journal")).withFallback(config)}).
 *
 * <p>The durable journal is pekko-persistence-jdbc on an embedded database in a directory, so it
 * needs no server. Two are supported:
 * <ul>
 *   <li>{@link #h2}: H2 2.3.232 with {@code WRITE_DELAY=0}, commits written to the OS at once. It
 *       survives a killed process ({@code kill -9}) but not a power loss or an OS crash: H2 does not
 *       fsync per commit.
 *   <li>{@link #sqlite}: SQLite in WAL mode with {@code synchronous=FULL}, which fsyncs every
 *       commit and so survives a power loss too.
 * </ul>
 * {@link #durable} uses SQLite, chosen by measurement ({@code bench/run.sh JournalBench}, 100,000
 * TaskDone entries, one Append in flight, batches of whatever accumulated, ≤ 1000; 2-core machine,
 * ext4): SQLite with an fsync per commit appended 161–187k completions/s (H2 94–163k/s), kept up
 * with 50k/s offered (batches of ~160), replayed 100k entries in 0.49–0.60 s (H2 0.89–0.93 s), took
 * half the disk (23 MB vs 47 MB) and started faster (schema + actor system + recovery + first write
 * 1.5–2.2 s vs 2.6–2.8 s; 1.6–1.8 s in memory, mostly the actor system). It is far above the 20k
 * completions/s a run needs, so the stronger durability costs nothing that matters. Both lost no
 * acknowledged entry in 10 of 10 SIGKILLs mid-append ({@code bench/run.sh JournalKillCheck}); only
 * SQLite's fsync covers a power loss, which that check cannot simulate.
 *
 * <p>Both carry the same persistence settings: the typed-persistence stash fails on overflow
 * instead of dropping commands (which would lose completions silently), replay reads 10,000 events
 * per query, and no snapshot store is used (a run's journal is replayed whole, once).
 */
public final class JournalSettings {
    private JournalSettings() {}

    /** The embedded database kinds the durable journal can use. */
    public enum Backend { H2, SQLITE }

    /** What {@link #durable} uses; see the class comment for why. */
    public static final Backend DEFAULT_BACKEND = Backend.SQLITE;

    /**
     * Config that makes the durable embedded journal under {@code dir} the default persistence
     * plugin. Creates {@code dir} and the schema (idempotently) before it returns.
     */
    public static Config durable(Path dir) {
        return durable(DEFAULT_BACKEND, dir);
    }

    /** {@link #durable(Path)} on the given backend. */
    public static Config durable(Backend backend, Path dir) {
        return switch (backend) {
            case H2 -> h2(dir);
            case SQLITE -> sqlite(dir);
        };
    }

    /** The durable journal on H2 under {@code dir} (file {@code journal.mv.db}). */
    public static Config h2(Path dir) {
        Path base = prepare(dir).resolve("journal");
        String url = "jdbc:h2:file:" + base + ";WRITE_DELAY=0";
        createSchema(url, H2_SCHEMA);
        return jdbc("slick.jdbc.H2Profile$", "org.h2.Driver", url);
    }

    /** The durable journal on SQLite under {@code dir} (file {@code journal.sqlite}). */
    public static Config sqlite(Path dir) {
        Path file = prepare(dir).resolve("journal.sqlite");
        // sqlite-jdbc applies these pragmas to every connection it opens.
        String url = "jdbc:sqlite:" + file + "?journal_mode=WAL&synchronous=FULL&busy_timeout=30000";
        createSchema(url, SQLITE_SCHEMA);
        return jdbc("slick.jdbc.SQLiteProfile$", "org.sqlite.JDBC", url);
    }

    /**
     * The journal on a PostgreSQL server ({@code jdbc:postgresql://host:port/db}, optionally
     * {@code ?currentSchema=s}): the journal a cluster's nodes share, so that a run's coordinator
     * can restart on any node. Creates the tables (idempotently) before it returns.
     */
    public static Config postgres(String url, String user, String password) {
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("a PostgreSQL journal URL starts with jdbc:postgresql:, e.g. "
                    + "jdbc:postgresql://127.0.0.1:5432/mtflow; got " + url);
        }
        Properties login = new Properties();
        login.setProperty("user", user);
        login.setProperty("password", password);
        createSchema(url, login, POSTGRES_SCHEMA);
        return jdbc("slick.jdbc.PostgresProfile$", "org.postgresql.Driver", url).withFallback(ConfigFactory.parseString("""
                jdbc-journal.slick.db {
                  user = %s
                  password = %s
                }
                """.formatted(ConfigUtil.quoteString(user), ConfigUtil.quoteString(password))));
    }

    /**
     * Config for pekko's in-memory journal: no durability (the events live as long as the actor
     * system), for tests and runs without a journal.
     */
    public static Config inMemory() {
        return ConfigFactory.parseString("""
                pekko.persistence.journal.plugin = "pekko.persistence.journal.inmem"
                """).withFallback(COMMON);
    }

    private static final Config COMMON = ConfigFactory.parseString("""
            pekko.persistence {
              # Not the default "drop": a dropped Append is a completion lost without a trace.
              typed.stash-overflow-strategy = "fail"
              # Snapshots are never taken; this store answers "none" without a warning at start.
              snapshot-store.plugin = "pekko.persistence.no-snapshot-store"
            }
            """);

    private static Config jdbc(String profile, String driver, String url) {
        return ConfigFactory.parseString("""
                pekko.persistence.journal.plugin = "jdbc-journal"
                jdbc-journal {
                  replayBatchSize = 10000
                  slick {
                    profile = %s
                    db {
                      url = %s
                      driver = %s
                      connectionPool = "HikariCP"
                      # One write in flight and one replay at start: a small pool, opened lazily.
                      numThreads = 2
                      maxConnections = 2
                      minConnections = 1
                      queueSize = 10000
                    }
                  }
                }
                """.formatted(ConfigUtil.quoteString(profile), ConfigUtil.quoteString(url),
                        ConfigUtil.quoteString(driver))).withFallback(COMMON);
    }

    private static Path prepare(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        // Both would be read as the start of the JDBC URL's settings (H2's ";", SQLite's "?").
        if (abs.toString().contains(";") || abs.toString().contains("?")) {
            throw new IllegalArgumentException("a journal directory cannot contain ';' or '?': " + abs);
        }
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the journal directory " + abs, e);
        }
        return abs;
    }

    /** Every statement may run again on an existing database: each says IF NOT EXISTS. */
    private static void createSchema(String url, List<String> statements) {
        createSchema(url, new Properties(), statements);
    }

    private static void createSchema(String url, Properties login, List<String> statements) {
        try (Connection c = DriverManager.getConnection(url, login); Statement s = c.createStatement()) {
            for (String sql : statements) s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the journal schema in " + url + ": " + e.getMessage(), e);
        }
    }

    // pekko-persistence-jdbc's "event_journal" and "event_tag" tables (its schema/h2 script, which
    // cannot run twice: its index lacks IF NOT EXISTS). Tags are never written, but the DAO knows them.
    private static final List<String> H2_SCHEMA = List.of("""
            CREATE TABLE IF NOT EXISTS PUBLIC."event_journal" (
              "ordering" BIGINT UNIQUE NOT NULL AUTO_INCREMENT,
              "deleted" BOOLEAN DEFAULT false NOT NULL,
              "persistence_id" VARCHAR(255) NOT NULL,
              "sequence_number" BIGINT NOT NULL,
              "writer" VARCHAR NOT NULL,
              "write_timestamp" BIGINT NOT NULL,
              "adapter_manifest" VARCHAR NOT NULL,
              "event_payload" BLOB NOT NULL,
              "event_ser_id" INTEGER NOT NULL,
              "event_ser_manifest" VARCHAR NOT NULL,
              "meta_payload" BLOB,
              "meta_ser_id" INTEGER,
              "meta_ser_manifest" VARCHAR,
              PRIMARY KEY("persistence_id", "sequence_number"))""", """
            CREATE UNIQUE INDEX IF NOT EXISTS "event_journal_ordering_idx" ON PUBLIC."event_journal" ("ordering")""", """
            CREATE TABLE IF NOT EXISTS PUBLIC."event_tag" (
              "event_id" BIGINT NOT NULL,
              "tag" VARCHAR NOT NULL,
              PRIMARY KEY("event_id", "tag"),
              CONSTRAINT "fk_event_journal" FOREIGN KEY("event_id")
                REFERENCES PUBLIC."event_journal"("ordering") ON DELETE CASCADE)""");

    // The same tables for SQLite: only an INTEGER PRIMARY KEY auto-increments there, so "ordering"
    // is the key and (persistence_id, sequence_number) a unique index.
    private static final List<String> SQLITE_SCHEMA = List.of("""
            CREATE TABLE IF NOT EXISTS "event_journal" (
              "ordering" INTEGER PRIMARY KEY AUTOINCREMENT,
              "deleted" BOOLEAN DEFAULT 0 NOT NULL,
              "persistence_id" VARCHAR(255) NOT NULL,
              "sequence_number" BIGINT NOT NULL,
              "writer" TEXT NOT NULL,
              "write_timestamp" BIGINT NOT NULL,
              "adapter_manifest" TEXT NOT NULL,
              "event_payload" BLOB NOT NULL,
              "event_ser_id" INTEGER NOT NULL,
              "event_ser_manifest" TEXT NOT NULL,
              "meta_payload" BLOB,
              "meta_ser_id" INTEGER,
              "meta_ser_manifest" TEXT)""", """
            CREATE UNIQUE INDEX IF NOT EXISTS "event_journal_pid_seq_idx"
              ON "event_journal" ("persistence_id", "sequence_number")""", """
            CREATE TABLE IF NOT EXISTS "event_tag" (
              "event_id" BIGINT NOT NULL,
              "tag" TEXT NOT NULL,
              PRIMARY KEY("event_id", "tag"),
              FOREIGN KEY("event_id") REFERENCES "event_journal"("ordering") ON DELETE CASCADE)""");

    // pekko-persistence-jdbc's schema/postgres script without what cannot run twice (its index lacks
    // IF NOT EXISTS) or what the journal does not use (snapshots, durable state, CONCURRENTLY indexes).
    // Unqualified names: the tables go to the connection's current schema.
    private static final List<String> POSTGRES_SCHEMA = List.of("""
            CREATE TABLE IF NOT EXISTS event_journal (
              ordering BIGSERIAL,
              persistence_id VARCHAR(255) NOT NULL,
              sequence_number BIGINT NOT NULL,
              deleted BOOLEAN DEFAULT FALSE NOT NULL,
              writer VARCHAR(255) NOT NULL,
              write_timestamp BIGINT,
              adapter_manifest VARCHAR(255),
              event_ser_id INTEGER NOT NULL,
              event_ser_manifest VARCHAR(255) NOT NULL,
              event_payload BYTEA NOT NULL,
              meta_ser_id INTEGER,
              meta_ser_manifest VARCHAR(255),
              meta_payload BYTEA,
              PRIMARY KEY(persistence_id, sequence_number))""", """
            CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal(ordering)""", """
            CREATE TABLE IF NOT EXISTS event_tag (
              event_id BIGINT,
              tag VARCHAR(256),
              PRIMARY KEY(event_id, tag),
              CONSTRAINT fk_event_journal FOREIGN KEY(event_id) REFERENCES event_journal(ordering) ON DELETE CASCADE)""");
}
