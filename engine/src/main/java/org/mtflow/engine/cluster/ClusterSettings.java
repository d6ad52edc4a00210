package org.mtflow.engine.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where a cluster member listens, whom it joins, and how it talks: the Pekko configuration of an
 * mtflow node, with defaults tuned so that a crashed node is downed in seconds (a 300 ms heartbeat,
 * a 1 s pause, split-brain resolution 2 s after the cluster is stable: ~2 s to notice a kill -9,
 * ~5 s to remove it here, against ~27 s for Pekko's defaults).
 *
 * <p>Secure by default: a node binds to loopback unless told otherwise, and a node bound to any
 * other address must run Artery over TLS with a keystore, so only nodes holding the cluster's
 * certificate can join.
 *
 * @param host  the address to bind and advertise (loopback by default)
 * @param port  the port (0 picks a free one)
 * @param seeds host:port of the nodes to join; empty, or this node itself, starts a new cluster
 * @param roles the node's roles (for placement)
 * @param tls   the TLS credentials, or null for plain TCP (loopback only)
 */
public record ClusterSettings(String host, int port, List<String> seeds, List<String> roles, Tls tls) {

    /** The actor system's name: part of every node's address, the same on every node. */
    public static final String SYSTEM = "mtflow";
    public static final String LOOPBACK = "127.0.0.1";
    public static final int DEFAULT_PORT = 25520;

    /**
     * A keystore holding this node's key and certificate, and a truststore holding the certificate
     * (or CA) of the cluster; PKCS12 or JKS files.
     */
    public record Tls(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword) {
        public Tls {
            Objects.requireNonNull(keyStore, "keyStore");
            Objects.requireNonNull(trustStore, "trustStore");
            keyStorePassword = keyStorePassword == null ? "" : keyStorePassword;
            trustStorePassword = trustStorePassword == null ? "" : trustStorePassword;
        }
    }

    public ClusterSettings {
        host = host == null || host.isBlank() ? LOOPBACK : host.strip();
        seeds = List.copyOf(seeds);
        roles = List.copyOf(roles);
    }

    /** A node on loopback with no seeds: it starts a cluster of its own. */
    public static ClusterSettings loopback(int port) {
        return new ClusterSettings(LOOPBACK, port, List.of(), List.of(), null);
    }

    public ClusterSettings withSeeds(List<String> seeds) {
        return new ClusterSettings(host, port, seeds, roles, tls);
    }

    /** Every reason these settings cannot start a node; empty when they can. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (port < 0 || port > 65535) problems.add("port " + port + " is not in 0..65535");
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            problems.add("cannot resolve the bind address '" + host + "'");
            loopback = true;
        }
        if (!loopback && tls == null) {
            problems.add("binding to " + host + " (not loopback) needs TLS: give a keystore and a truststore holding the"
                    + " cluster's certificate (--tls-keystore, --tls-truststore), or bind to " + LOOPBACK);
        }
        if (tls != null) {
            for (Path p : List.of(tls.keyStore(), tls.trustStore())) {
                if (!Files.isReadable(p)) problems.add("TLS store " + p + " is not a readable file");
            }
        }
        if (seeds.isEmpty() && port == 0) {
            problems.add("the first node of a cluster needs a fixed port (not 0), so that other nodes can give it as --seed");
        }
        for (String seed : seeds) {
            if (parseSeed(seed) == null) problems.add("seed '" + seed + "' is not host:port (e.g. 127.0.0.1:" + DEFAULT_PORT + ")");
        }
        return problems;
    }

    /** The Pekko address of the node at host:port. */
    public static String address(String host, int port) {
        return "pekko://" + SYSTEM + "@" + host + ":" + port;
    }

    /**
     * The seeds as Pekko addresses (a seed that is not host:port is skipped, see {@link #problems});
     * with no seeds, this node's own address: it starts the cluster.
     */
    public List<String> seedAddresses() {
        if (seeds.isEmpty()) return List.of(address(host, port));
        List<String> addresses = new ArrayList<>();
        for (String seed : seeds) {
            String[] hp = parseSeed(seed);
            if (hp != null) addresses.add(address(hp[0], Integer.parseInt(hp[1])));
        }
        return addresses;
    }

    private static String[] parseSeed(String seed) {
        int colon = seed.lastIndexOf(':');
        if (colon <= 0 || colon == seed.length() - 1) return null;
        String port = seed.substring(colon + 1);
        if (!port.chars().allMatch(Character::isDigit) || port.length() > 5 || Integer.parseInt(port) > 65535) return null;
        return new String[] {seed.substring(0, colon), port};
    }

    /**
     * This node's Pekko configuration, to put in front of the engine's: cluster provider, Artery
     * (TCP, or TLS over TCP), seeds, roles, the tuned failure detector and the split-brain resolver.
     * Anything a user's config file sets for these keys wins when it is put in front of this.
     */
    public Config config() {
        List<String> problems = problems();
        if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
        Config tuned = ConfigFactory.parseString("""
                pekko {
                  actor.provider = cluster
                  remote.artery {
                    transport = tcp
                    # Tasks and events are small; artifacts travel outside Artery.
                    advanced.maximum-frame-size = 1 MiB
                  }
                  cluster {
                    downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
                    split-brain-resolver {
                      active-strategy = keep-majority
                      stable-after = 2s
                      down-all-when-unstable = on
                    }
                    failure-detector {
                      heartbeat-interval = 300ms
                      acceptable-heartbeat-pause = 1s
                      expected-response-after = 300ms
                    }
                    unreachable-nodes-reaper-interval = 250ms
                    gossip-interval = 200ms
                    leader-actions-interval = 200ms
                    # A new node may join while another is unreachable (a node that rejoins after a crash).
                    allow-weakly-up-members = 2s
                    shutdown-after-unsuccessful-join-seed-nodes = 30s
                    run-coordinated-shutdown-when-down = on
                  }
                  coordinated-shutdown.exit-jvm = off
                }
                """);
        Config c = tuned
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
                .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedAddresses()))
                .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles));
        if (tls != null) {
            String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
            c = c.withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
                    .withValue(engine + "key-store", ConfigValueFactory.fromAnyRef(tls.keyStore().toAbsolutePath().toString()))
                    .withValue(engine + "key-store-password", ConfigValueFactory.fromAnyRef(tls.keyStorePassword()))
                    .withValue(engine + "key-password", ConfigValueFactory.fromAnyRef(tls.keyStorePassword()))
                    .withValue(engine + "trust-store", ConfigValueFactory.fromAnyRef(tls.trustStore().toAbsolutePath().toString()))
                    .withValue(engine + "trust-store-password", ConfigValueFactory.fromAnyRef(tls.trustStorePassword()))
                    .withValue(engine + "protocol", ConfigValueFactory.fromAnyRef("TLSv1.3"))
                    .withValue(engine + "enabled-algorithms", ConfigValueFactory.fromIterable(List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256")))
                    .withValue(engine + "require-mutual-authentication", ConfigValueFactory.fromAnyRef(true));
        }
        return c;
    }
}
