package org.mtflow.engine.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSettingsTest {

    @Test
    void aLoopbackNodeWithoutSeedsStartsItsOwnClusterWithTheTunedDetector() {
        Config c = ClusterSettings.loopback(25530).config();
        assertEquals("cluster", c.getString("pekko.actor.provider"));
        assertEquals("127.0.0.1", c.getString("pekko.remote.artery.canonical.hostname"));
        assertEquals(25530, c.getInt("pekko.remote.artery.canonical.port"));
        assertEquals("tcp", c.getString("pekko.remote.artery.transport"));
        assertEquals(List.of("pekko://mtflow@127.0.0.1:25530"), c.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(300, c.getDuration("pekko.cluster.failure-detector.heartbeat-interval").toMillis());
        assertEquals(1000, c.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause").toMillis());
        assertEquals("keep-majority", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    }

    @Test
    void seedsAndRolesGoIntoTheConfig() {
        Config c = new ClusterSettings(null, 0, List.of("10.0.0.7:2552", "[::1]:2553"), List.of("gpu"), null).config();
        assertEquals(List.of("pekko://mtflow@10.0.0.7:2552", "pekko://mtflow@[::1]:2553"), c.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(List.of("gpu"), c.getStringList("pekko.cluster.roles"));
    }

    @Test
    void everyMistakeIsReportedWithItsFix() {
        ClusterSettings bad = new ClusterSettings("10.1.2.3", 70000, List.of("nohost", "h:x", "h:"), List.of(), null);
        List<String> problems = bad.problems();
        assertEquals(5, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("70000"), problems.toString());
        assertTrue(problems.get(1).contains("needs TLS") && problems.get(1).contains("--tls-keystore"), problems.toString());
        assertTrue(problems.stream().filter(p -> p.contains("is not host:port")).count() == 3, problems.toString());
        assertThrows(IllegalArgumentException.class, bad::config);
        assertTrue(new ClusterSettings(null, 0, List.of(), List.of(), null).problems().get(0).contains("fixed port"));
    }

    @Test
    void tlsSwitchesArteryToMutuallyAuthenticatedTls(@TempDir Path dir) throws Exception {
        Path ks = Files.writeString(dir.resolve("ks.p12"), "x"), ts = Files.writeString(dir.resolve("ts.p12"), "y");
        ClusterSettings s = new ClusterSettings("10.1.2.3", 2552, List.of(), List.of(), new ClusterSettings.Tls(ks, "pw", ts, "pw2"));
        assertEquals(List.of(), s.problems());
        Config c = s.config();
        assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
        String e = "pekko.remote.artery.ssl.config-ssl-engine.";
        assertEquals(ks.toAbsolutePath().toString(), c.getString(e + "key-store"));
        assertEquals(ts.toAbsolutePath().toString(), c.getString(e + "trust-store"));
        assertEquals("pw2", c.getString(e + "trust-store-password"));
        assertTrue(c.getBoolean(e + "require-mutual-authentication"));
        List<String> missing = new ClusterSettings(null, 1, List.of(), List.of(),
                new ClusterSettings.Tls(dir.resolve("none.p12"), "", ts, "")).problems();
        assertEquals(1, missing.size(), missing.toString());
        assertTrue(missing.get(0).contains("none.p12"), missing.toString());
    }
}
