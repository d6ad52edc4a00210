package org.mtflow.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.cluster.ClusterSettings;
import org.mtflow.engine.testkit.TestCerts;

/**
 * Real {@code mtflow node} processes on loopback: three form a cluster; one killed with SIGKILL is
 * downed and removed by the others within seconds (the tuned failure detector and split-brain
 * resolver, not Pekko's ~27 s); one stopped with SIGTERM leaves; a node restarted on its old port
 * rejoins; and with TLS, only nodes holding the cluster's certificate get in.
 */
class ClusterNodesTest {
    private static final Duration FORM = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private final List<Process> nodes = new ArrayList<>();

    @AfterEach
    void stopNodes() throws InterruptedException {
        for (Process p : nodes) p.destroyForcibly();
        for (Process p : nodes) p.waitFor(30, TimeUnit.SECONDS);
    }

    @Test
    void nodesFormAClusterAndAKilledNodeIsRemovedInSeconds() throws Exception {
        int[] ports = freePorts(3);
        Path log1 = start("n1", ports[0], List.of());
        Path log2 = start("n2", ports[1], List.of("--seed", "127.0.0.1:" + ports[0]));
        Path log3 = start("n3", ports[2], List.of("--seed", "127.0.0.1:" + ports[0]));
        for (Path log : List.of(log1, log2, log3)) awaitLine(log, "(3 up)", FORM);
        for (int port : ports) assertTrue(read(log1).contains("member up: " + address(port)), read(log1));

        // SIGKILL: no leaving; the others must notice, down and remove it.
        long killed = System.nanoTime();
        nodes.get(2).destroyForcibly().waitFor();
        awaitLine(log1, "member removed: " + address(ports[2]), Duration.ofSeconds(20));
        double seconds = (System.nanoTime() - killed) / 1e9;
        System.out.printf("ClusterNodesTest: kill -9 to removal in %.1f s%n", seconds);
        assertTrue(read(log2).contains("member unreachable: " + address(ports[2])), read(log2));

        // Restarted on its old port, it joins again.
        Path again = start("n3-again", ports[2], List.of("--seed", "127.0.0.1:" + ports[0]));
        awaitLine(again, "(3 up)", FORM);

        // SIGTERM: the node leaves, then exits as a process stopped by SIGTERM does (128 + 15).
        Process second = nodes.get(1);
        second.destroy();
        assertTrue(second.waitFor(60, TimeUnit.SECONDS), "node 2 did not stop after SIGTERM");
        assertEquals(143, second.exitValue(), read(log2));
        assertTrue(read(log2).contains("node " + address(ports[1]) + " stopped"), read(log2));
        awaitLine(log1, "member removed: " + address(ports[1]), Duration.ofSeconds(20));
    }

    @Test
    void aTlsClusterAdmitsOnlyNodesWithItsCertificate() throws Exception {
        ClusterSettings.Tls cluster = TestCerts.tls(dir, "cluster", "cluster"), stranger = TestCerts.tls(dir, "stranger", "cluster");
        int[] ports = freePorts(5);
        List<String> tls = List.of("--tls-keystore", cluster.keyStore().toString(), "--tls-truststore", cluster.trustStore().toString());
        List<String> first = new ArrayList<>(tls);
        first.addAll(List.of("--http-port", String.valueOf(ports[4])));
        Path log1 = start("t1", ports[0], first);
        List<String> join = new ArrayList<>(tls);
        join.addAll(List.of("--seed", "127.0.0.1:" + ports[0]));
        Path log2 = start("t2", ports[1], join);
        awaitLine(log2, "(2 up)", FORM);

        // No TLS at all, and TLS with a certificate the cluster does not trust: neither gets in.
        Path plain = start("t3", ports[2], List.of("--seed", "127.0.0.1:" + ports[0]));
        Path foreign = start("t4", ports[3], List.of("--tls-keystore", stranger.keyStore().toString(), "--tls-truststore",
                stranger.trustStore().toString(), "--seed", "127.0.0.1:" + ports[0]));
        awaitLine(plain, "offers", FORM);
        awaitLine(foreign, "offers", FORM);
        await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> !read(log1).contains(address(ports[2])) && !read(log1).contains(address(ports[3]))
                        && !read(plain).contains("member up") && !read(foreign).contains("member up"));

        // The run endpoint is HTTPS with client certificates too: a client with the cluster's
        // credentials submits a run, one without them (plain HTTP, or an untrusted key) cannot.
        Path workflow = Files.writeString(dir.resolve("tiny.yaml"), """
                name: tiny
                seed: 3
                tasks:
                  a: {type: util.random, with: {shape: [8]}}
                  b: {type: util.noop, inputs: {x: a.tensor}}
                """);
        String endpoint = "127.0.0.1:" + ports[4];
        Map<String, String> env = Map.of("MTFLOW_TLS_PASSWORD", TestCerts.PASSWORD);
        List<String> submit = new ArrayList<>(List.of("run", workflow.toString(), "--cluster", endpoint, "--run-id", "tls1",
                "--progress=plain"));
        submit.addAll(tls);
        Cli.Result ok = Cli.run(env, submit.toArray(String[]::new));
        assertEquals(0, ok.exit(), ok.toString());
        List<String> status = new ArrayList<>(List.of("status", "tls1", "--cluster", endpoint));
        status.addAll(tls);
        Cli.Result st = Cli.run(env, status.toArray(String[]::new));
        assertEquals(0, st.exit(), st.toString());
        assertTrue(st.out().contains("succeeded"), st.toString());
        Cli.Result noTls = Cli.run(env, "status", "tls1", "--cluster", endpoint);
        assertEquals(1, noTls.exit(), noTls.toString());
        Cli.Result untrusted = Cli.run(env, "status", "tls1", "--cluster", endpoint, "--tls-keystore", stranger.keyStore().toString(),
                "--tls-truststore", stranger.trustStore().toString());
        assertEquals(1, untrusted.exit(), untrusted.toString());
    }

    private Path start(String name, int port, List<String> extra) throws IOException {
        Path log = dir.resolve(name + ".log");
        List<String> args = new ArrayList<>(List.of("node", "--port", String.valueOf(port), "--devices", "jvm",
                "--home", dir.resolve(name).toString()));
        args.addAll(extra);
        nodes.add(Cli.start(log, Map.of("MTFLOW_TLS_PASSWORD", TestCerts.PASSWORD), args.toArray(String[]::new)));
        return log;
    }

    private static String address(int port) {
        return "pekko://mtflow@127.0.0.1:" + port;
    }

    static void awaitLine(Path log, String text, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(50))
                .alias(log.getFileName() + " to print '" + text + "'").until(() -> read(log).contains(text));
    }

    static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    static int[] freePorts(int n) throws IOException {
        int[] ports = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : held) s.close();
        }
        return ports;
    }
}
