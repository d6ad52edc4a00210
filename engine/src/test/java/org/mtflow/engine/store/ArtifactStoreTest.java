package org.mtflow.engine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArtifactStoreTest {
    @TempDir
    Path root;

    private static byte[] randomBytes(long seed, int n) {
        byte[] b = new byte[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) b[i] = (byte) rnd.nextInt(256);
        return b;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static List<Path> filesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Writes in uneven chunks, the way node types stream their outputs. */
    private static ArtifactRef writeChunked(ArtifactStore store, byte[] data, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        return store.write(out -> {
            int i = 0;
            while (i < data.length) {
                if (rnd.nextInt(8) == 0) {
                    out.write(data[i++]);
                } else {
                    int len = Math.min(data.length - i, 1 + rnd.nextInt(100_000));
                    out.write(data, i, len);
                    i += len;
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4095, 65536, 65537, 1_000_003})
    void writeThenReadGivesBackTheSameBytes(int size) throws Exception {
        long seed = 1000L + size;
        byte[] data = randomBytes(seed, size);
        ArtifactStore store = new ArtifactStore(root);
        ArtifactRef ref = writeChunked(store, data, seed);
        assertEquals(sha256(data), ref.sha256(), "seed " + seed + ": the ref names the SHA-256 of the bytes");
        assertEquals(size, ref.size(), "seed " + seed);
        Path file = store.read(ref);
        assertArrayEquals(data, Files.readAllBytes(file), "seed " + seed);
        assertEquals(store.root().resolve("objects").resolve(ref.sha256().substring(0, 2)).resolve(ref.sha256()), file);
        // A second store on the same directory (another process) verifies and reads it too.
        assertArrayEquals(data, Files.readAllBytes(new ArtifactStore(root).read(ref)), "seed " + seed);
    }

    @Test
    void sameContentGivesTheSameRefAndOneFile() throws Exception {
        long seed = 42;
        byte[] data = randomBytes(seed, 10_000);
        ArtifactStore store = new ArtifactStore(root);
        ArtifactRef a = store.write(out -> out.write(data));
        ArtifactRef b = writeChunked(store, data, seed);
        Path copy = root.resolve("copy.bin");
        Files.write(copy, data);
        ArtifactRef c = store.put(copy);
        assertEquals(a, b, "seed " + seed);
        assertEquals(a, c, "seed " + seed);
        assertEquals(List.of(store.pathOf(a)), filesUnder(root.resolve("objects")));
        assertEquals(List.of(), filesUnder(root.resolve("tmp")), "no temp file is left behind");
    }

    @Test
    void differentContentGivesDifferentRefs() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        byte[] data = randomBytes(7, 1000);
        ArtifactRef a = store.write(out -> out.write(data));
        data[500] ^= 1;
        ArtifactRef b = store.write(out -> out.write(data));
        assertNotEquals(a.sha256(), b.sha256());
        assertEquals(2, filesUnder(root.resolve("objects")).size());
    }

    @Test
    void aFlippedByteIsDetectedOnRead() throws Exception {
        long seed = 99;
        byte[] data = randomBytes(seed, 200_000);
        ArtifactRef ref = new ArtifactStore(root).write(out -> out.write(data));
        Path file = new ArtifactStore(root).pathOf(ref);
        byte[] onDisk = Files.readAllBytes(file);
        onDisk[123_456] ^= 0x10;
        Files.write(file, onDisk);

        ArtifactStore reader = new ArtifactStore(root); // a process that has not verified the file yet
        CorruptArtifactException e = assertThrows(CorruptArtifactException.class, () -> reader.read(ref), "seed " + seed);
        assertSame(ref, e.ref());
        assertTrue(e.getMessage().contains(ref.sha256()) && e.getMessage().contains("hashes to"), e.getMessage());
        assertTrue(reader.contains(ref), "contains() checks presence and size only");
    }

    @Test
    void aCorruptionChangingTheFileIsDetectedByTheStoreThatWroteIt() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        byte[] data = randomBytes(5, 4096);
        ArtifactRef ref = store.write(out -> out.write(data));
        store.read(ref);
        Path file = store.pathOf(ref);
        data[0] ^= 1;
        Files.write(file, data);
        // Make the new version unmistakably another version, whatever the clock's resolution.
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        assertThrows(CorruptArtifactException.class, () -> store.read(ref));
    }

    @Test
    void aTruncatedOrMissingArtifactIsCorrupt() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        ArtifactRef ref = store.write(out -> out.write(randomBytes(3, 5000)));
        Path file = store.pathOf(ref);
        Files.write(file, new byte[100]);
        ArtifactStore reader = new ArtifactStore(root);
        CorruptArtifactException e = assertThrows(CorruptArtifactException.class, () -> reader.read(ref));
        assertTrue(e.getMessage().contains("size 100 != 5000"), e.getMessage());
        assertFalse(reader.contains(ref));

        Files.delete(file);
        e = assertThrows(CorruptArtifactException.class, () -> reader.read(ref));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        assertFalse(reader.contains(ref));
        assertFalse(reader.contains(new ArtifactRef("0".repeat(64), 0)));
    }

    @Test
    void writingTheSameContentAgainRepairsACorruptArtifact() throws Exception {
        long seed = 11;
        byte[] data = randomBytes(seed, 50_000);
        ArtifactRef ref = new ArtifactStore(root).write(out -> out.write(data));
        Path file = new ArtifactStore(root).pathOf(ref);
        byte[] bad = data.clone();
        bad[10] ^= (byte) 0xFF;
        Files.write(file, bad); // same size, wrong bytes

        // A recomputation writes the same bytes: the store must replace the bad file, not keep it.
        ArtifactStore store = new ArtifactStore(root);
        assertEquals(ref, store.write(out -> out.write(data)), "seed " + seed);
        assertArrayEquals(data, Files.readAllBytes(store.read(ref)), "seed " + seed);
        assertArrayEquals(data, Files.readAllBytes(new ArtifactStore(root).read(ref)), "seed " + seed);
    }

    @Test
    void aWriterThatFailsLeavesNoFileBehind() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        byte[] data = randomBytes(8, 300_000);
        IOException e = assertThrows(IOException.class, () -> store.write(out -> {
            out.write(data, 0, 200_000);
            throw new IOException("disk on fire");
        }));
        assertEquals("disk on fire", e.getMessage());
        assertThrows(IllegalStateException.class, () -> store.write(out -> {
            out.write(data);
            throw new IllegalStateException("node crashed mid-write");
        }));
        assertEquals(List.of(), filesUnder(root.resolve("objects")), "no partial artifact under a real name");
        assertEquals(List.of(), filesUnder(root.resolve("tmp")), "no temp file left behind");
    }

    @Test
    void contentAlreadyPresentIsNotWrittenAgain() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        byte[] data = randomBytes(12, 5_000);
        ArtifactRef ref = store.write(out -> out.write(data));
        Path file = store.pathOf(ref);
        Object key = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        for (ArtifactStore s : List.of(store, new ArtifactStore(root))) { // this process, and another one
            assertEquals(ref, writeChunked(s, data, 12));
            assertEquals(key, Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
                    "the intact file stays in place: it is not rewritten");
        }
        assertEquals(List.of(), filesUnder(root.resolve("tmp")), "no temp file is left behind");
    }

    @Test
    void aBigWriterThatFailsAfterSpillingLeavesNoFileBehind() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        byte[] data = randomBytes(13, ArtifactStore.IN_MEMORY_LIMIT + 100_000);
        assertThrows(IOException.class, () -> store.write(out -> {
            out.write(data);
            throw new IOException("disk on fire");
        }));
        assertEquals(List.of(), filesUnder(root.resolve("objects")), "no partial artifact under a real name");
        assertEquals(List.of(), filesUnder(root.resolve("tmp")), "no temp file left behind");
        ArtifactRef ref = writeChunked(store, data, 13);
        assertArrayEquals(data, Files.readAllBytes(new ArtifactStore(root).read(ref)));
        assertEquals(List.of(), filesUnder(root.resolve("tmp")), "no temp file left behind");
    }

    @Test
    void aWriterMayCloseItsStream() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        byte[] data = randomBytes(9, 70_000);
        ArtifactRef ref = store.write(out -> {
            try (OutputStream o = out) {
                o.write(data);
            }
        });
        assertEquals(sha256(data), ref.sha256());
        assertArrayEquals(data, Files.readAllBytes(store.read(ref)));
    }

    @Test
    void cacheEntriesRoundTripAndAreReplacedAtomically() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        String key = sha256("some task".getBytes(StandardCharsets.UTF_8));
        assertEquals(Optional.empty(), store.readCacheEntry(key));
        byte[] first = "{\"outputs\":{}}".getBytes(StandardCharsets.UTF_8);
        store.writeCacheEntry(key, first);
        assertArrayEquals(first, store.readCacheEntry(key).orElseThrow());
        byte[] second = "{\"outputs\":{\"a\":1}}".getBytes(StandardCharsets.UTF_8);
        store.writeCacheEntry(key, second);
        assertArrayEquals(second, new ArtifactStore(root).readCacheEntry(key).orElseThrow());
        assertArrayEquals(second, store.readCacheEntry(key).orElseThrow());
        assertEquals(List.of(root.resolve("cache").resolve("index.log")), filesUnder(root.resolve("cache")),
                "one appended index, not a file per entry");
    }

    @Test
    void aTornLastCacheRecordIsCutOffAndLaterEntriesStillCount() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        String a = sha256("a".getBytes(StandardCharsets.UTF_8)), b = sha256("b".getBytes(StandardCharsets.UTF_8));
        byte[] entry = "{\"outputs\":{\"x\":\"multi\nline\"}}".getBytes(StandardCharsets.UTF_8);
        store.writeCacheEntry(a, entry);
        Path index = root.resolve("cache").resolve("index.log");
        long whole = Files.size(index);
        // A crash in the middle of the next append: its header and half of its bytes.
        Files.write(index, (b + " 40\n{\"outputs\":").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.APPEND);
        ArtifactStore reopened = new ArtifactStore(root);
        assertEquals(whole, Files.size(index), "the torn record is cut off");
        assertArrayEquals(entry, reopened.readCacheEntry(a).orElseThrow());
        assertEquals(Optional.empty(), reopened.readCacheEntry(b));
        reopened.writeCacheEntry(b, "{}".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), new ArtifactStore(root).readCacheEntry(b).orElseThrow());
        assertArrayEquals(entry, new ArtifactStore(root).readCacheEntry(a).orElseThrow());
    }

    @Test
    void storesSharingADirectorySeeEachOthersCacheEntries() throws Exception {
        ArtifactStore one = new ArtifactStore(root), two = new ArtifactStore(root);
        for (int i = 0; i < 50; i++) {
            String key = sha256(("k" + i).getBytes(StandardCharsets.UTF_8));
            (i % 2 == 0 ? one : two).writeCacheEntry(key, ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < 50; i++) {
            String key = sha256(("k" + i).getBytes(StandardCharsets.UTF_8));
            byte[] expected = ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(expected, one.readCacheEntry(key).orElseThrow(), "one, " + i);
            assertArrayEquals(expected, two.readCacheEntry(key).orElseThrow(), "two, " + i);
        }
    }

    @Test
    void cacheEntriesOfAnOlderStoreLayoutAreStillRead() throws Exception {
        String key = sha256("old".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(root.resolve("cache"));
        Files.write(root.resolve("cache").resolve(key + ".json"), "{\"old\":1}".getBytes(StandardCharsets.UTF_8));
        ArtifactStore store = new ArtifactStore(root);
        assertArrayEquals("{\"old\":1}".getBytes(StandardCharsets.UTF_8), store.readCacheEntry(key).orElseThrow());
        store.writeCacheEntry(key, "{\"new\":1}".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("{\"new\":1}".getBytes(StandardCharsets.UTF_8), store.readCacheEntry(key).orElseThrow());
    }

    @Test
    void cacheKeysCannotNameAPathOutsideTheCache() throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        for (String bad : List.of("../../etc/passwd", "../" + "a".repeat(64), "A".repeat(64), "a".repeat(63), "",
                "/tmp/x", "a".repeat(64) + "/..")) {
            assertThrows(IllegalArgumentException.class, () -> store.writeCacheEntry(bad, new byte[1]), bad);
            assertThrows(IllegalArgumentException.class, () -> store.readCacheEntry(bad), bad);
        }
    }

    @Test
    void refsCannotNameAPathOutsideTheStore() throws Exception {
        for (String bad : List.of("../../../../etc/passwd", "/etc/passwd", "..", "ab/../../x", "A".repeat(64),
                "g".repeat(64), "a".repeat(65))) {
            assertThrows(IllegalArgumentException.class, () -> new ArtifactRef(bad, 1), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> new ArtifactRef(null, 1));
        assertThrows(IllegalArgumentException.class, () -> new ArtifactRef("a".repeat(64), -1));

        ArtifactStore store = new ArtifactStore(root.resolve("x").resolve("..").resolve("store"));
        ArtifactRef ref = new ArtifactRef("0123456789abcdef".repeat(4), 3);
        Path p = store.pathOf(ref);
        assertEquals(root.resolve("store").toAbsolutePath(), store.root(), "the root is normalized");
        assertTrue(p.normalize().startsWith(store.root().resolve("objects")), p.toString());
        assertEquals("0123456789ab", ref.shortHash());
    }
}
