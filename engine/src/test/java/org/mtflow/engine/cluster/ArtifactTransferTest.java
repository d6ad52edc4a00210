package org.mtflow.engine.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;
import org.mtflow.engine.store.CorruptArtifactException;
import org.mtflow.engine.testkit.TestCerts;

/** Artifacts moved between two nodes' stores over HTTP and mutually authenticated HTTPS. */
class ArtifactTransferTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    @TempDir
    Path dir;

    private ArtifactStore store(String name) throws IOException {
        return new ArtifactStore(dir.resolve(name));
    }

    private static byte[] random(SplittableRandom rng, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) rng.nextInt();
        return b;
    }

    @Test
    void fetchedArtifactsAreBitIdenticalWhateverTheirSize() throws Exception {
        SplittableRandom rng = new SplittableRandom(SEED);
        ArtifactStore a = store("a"), b = store("b");
        List<byte[]> contents = new ArrayList<>();
        for (int n : new int[] {0, 1, 8191, (3 << 20) + 17, rng.nextInt(1, 1 << 22)}) contents.add(random(rng, n));
        try (ArtifactServer server = ArtifactServer.start(a, "127.0.0.1", 0, null)) {
            ArtifactFetcher fetcher = new ArtifactFetcher(b, null);
            for (byte[] content : contents) {
                ArtifactRef ref = a.write(out -> out.write(content));
                assertFalse(b.contains(ref));
                Path got = fetcher.fetch(server.base(), ref);
                assertArrayEquals(content, Files.readAllBytes(got), "seed " + SEED + ", " + content.length + " bytes");
                assertEquals(got, b.read(ref));
                assertEquals(got, fetcher.fetch(server.base(), ref), "held now: not fetched again");
            }
        }
    }

    @Test
    void anArtifactTheNodeDoesNotHoldIsAClearError() throws Exception {
        ArtifactStore a = store("a"), b = store("b");
        ArtifactRef absent = new ArtifactRef("ab".repeat(32), 10);
        try (ArtifactServer server = ArtifactServer.start(a, "127.0.0.1", 0, null)) {
            IOException e = assertThrows(IOException.class, () -> new ArtifactFetcher(b, null).fetch(server.base(), absent));
            assertTrue(e.getMessage().contains("404") && e.getMessage().contains(absent.sha256()), e.getMessage());
            assertEquals(400, status(server.base().resolve("/artifacts/../../etc/passwd?size=1")));
            assertEquals(400, status(server.base().resolve("/artifacts/" + "AB".repeat(32) + "?size=1")));
            assertEquals(400, status(server.base().resolve("/artifacts/" + "ab".repeat(32))));
        }
    }

    @Test
    void bytesThatAreNotTheArtifactAreNeverPublished() throws Exception {
        ArtifactStore b = store("b");
        byte[] good = random(new SplittableRandom(SEED), 5000);
        ArtifactRef ref = store("a").write(out -> out.write(good));
        byte[] bad = good.clone();
        bad[4321] ^= 1; // same size, one bit off: only the hash can tell
        HttpServer liar = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        liar.createContext("/artifacts/", x -> {
            x.sendResponseHeaders(200, bad.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(bad);
            }
        });
        liar.start();
        try {
            URI base = URI.create("http://127.0.0.1:" + liar.getAddress().getPort());
            assertThrows(CorruptArtifactException.class, () -> new ArtifactFetcher(b, null).fetch(base, ref));
            assertFalse(b.contains(ref));
            try (Stream<Path> left = Files.walk(b.root())) {
                assertEquals(List.of(), left.filter(Files::isRegularFile).toList(), "nothing kept from a bad transfer");
            }
        } finally {
            liar.stop(0);
        }
    }

    @Test
    void overTlsOnlyNodesWithTheClusterCertificateGetArtifacts() throws Exception {
        ClusterSettings.Tls cluster = TestCerts.tls(dir, "cluster", "cluster"), stranger = TestCerts.tls(dir, "stranger", "cluster");
        ArtifactStore a = store("a");
        byte[] content = random(new SplittableRandom(SEED), 100_000);
        ArtifactRef ref = a.write(out -> out.write(content));
        try (ArtifactServer server = ArtifactServer.start(a, "127.0.0.1", 0, TlsContexts.of(cluster))) {
            assertEquals("https", server.base().getScheme());
            Path got = new ArtifactFetcher(store("b"), TlsContexts.of(cluster)).fetch(server.base(), ref);
            assertArrayEquals(content, Files.readAllBytes(got));
            // A key the cluster does not trust, and no TLS at all: refused.
            assertThrows(IOException.class, () -> new ArtifactFetcher(store("c"), TlsContexts.of(stranger)).fetch(server.base(), ref));
            assertThrows(IOException.class, () -> new ArtifactFetcher(store("d"), null).fetch(server.base(), ref));
            assertThrows(IOException.class, () -> new ArtifactFetcher(store("e"), null)
                    .fetch(URI.create("http://127.0.0.1:" + server.base().getPort()), ref));
        }
    }

    private static int status(URI uri) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }
}
