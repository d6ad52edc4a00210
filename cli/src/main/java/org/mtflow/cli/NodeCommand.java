package org.mtflow.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.mtflow.devices.Device;
import org.mtflow.devices.Devices;
import org.mtflow.engine.cluster.ClusterSettings;
import org.mtflow.engine.cluster.TlsContexts;
import org.mtflow.dsl.WorkflowLoader;
import org.mtflow.engine.journal.JournalSettings;
import org.mtflow.engine.run.ClusterRuns;
import org.mtflow.engine.run.Engine;
import org.mtflow.engine.run.EngineSettings;
import org.mtflow.nodes.BuiltinNodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Starts a cluster member that offers this machine's devices to the cluster, and prints each "
                + "change of the cluster's membership until it is stopped (Ctrl-C or SIGTERM: it leaves the cluster "
                + "first). The first node seeds itself: start it without --seed, or with its own address.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the cluster downed or removed the node", "1:the node failed", "2:the options are invalid",
                "143:stopped by SIGTERM, after leaving the cluster"})
final class NodeCommand implements Callable<Integer> {

    @Option(names = "--bind", paramLabel = "HOST", description = "address to bind and advertise (default: "
            + ClusterSettings.LOOPBACK + "; any other address needs --tls-keystore and --tls-truststore)")
    String bind = ClusterSettings.LOOPBACK;

    @Option(names = "--port", paramLabel = "P", description = "port (default: " + ClusterSettings.DEFAULT_PORT + "; 0 picks a free one)")
    int port = ClusterSettings.DEFAULT_PORT;

    @Option(names = {"--http-port", "--artifact-port"}, paramLabel = "P",
            description = "port of the node's HTTP endpoint, on the --bind address: other nodes fetch artifacts from it, "
                    + "and 'mtflow run --cluster HOST:P' submits runs to it (default: 0, a free port; printed at start)")
    int httpPort = 0;

    @Option(names = "--seed", paramLabel = "HOST:PORT", description = "a node of the cluster to join (repeatable)")
    List<String> seeds = new ArrayList<>();

    @Option(names = "--roles", paramLabel = "ROLE", split = ",", description = "this node's roles, comma-separated")
    List<String> roles = new ArrayList<>();

    @Option(names = "--devices", paramLabel = "ID", split = ",",
            description = "the devices to offer, comma-separated (default: all found; see 'mtflow devices')")
    List<String> devices = new ArrayList<>();

    @Option(names = "--home", paramLabel = "DIR", description = "state directory (default: $MTFLOW_HOME, else ./.mtflow)")
    Path home;

    @Option(names = "--config", paramLabel = "FILE",
            description = "a Pekko configuration file (HOCON) whose settings win over mtflow's: failure detector, "
                    + "split-brain resolver, journal…")
    Path config;

    @Option(names = "--journal-url", paramLabel = "JDBC-URL",
            description = "the cluster's shared journal, a PostgreSQL database (jdbc:postgresql://HOST:PORT/DB): with it, "
                    + "a run whose coordinating node is lost goes on from its journal on another node. Give every node "
                    + "the same one. Default: this node's own journal under --home (runs survive a restart of the node, "
                    + "not its loss)")
    String journalUrl;

    @Option(names = "--journal-user", paramLabel = "USER", description = "the journal's database user (default: mtflow); "
            + "the password comes from $MTFLOW_JOURNAL_PASSWORD")
    String journalUser = "mtflow";

    @Option(names = "--store", paramLabel = "DIR",
            description = "a store directory every node mounts (NFS…), instead of HOME/store: no artifact moves between "
                    + "nodes, and none is lost with a node")
    Path sharedStore;

    @Mixin
    TlsOptions tlsOptions;

    @Override
    public Integer call() throws Exception {
        ClusterSettings.Tls tls;
        try {
            tls = tlsOptions.tls();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return Main.INVALID;
        }
        ClusterSettings cluster = new ClusterSettings(bind, port, seeds, roles, tls);
        List<String> problems = cluster.problems();
        if (config != null && !Files.isReadable(config)) problems.add("--config " + config + " is not a readable file");
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.err.println("error: " + p));
            return Main.INVALID;
        }
        Config user = ConfigFactory.empty();
        if (config != null) {
            try {
                user = ConfigFactory.parseFile(config.toFile());
            } catch (ConfigException e) {
                System.err.println("error: " + config + ": " + e.getMessage());
                return Main.INVALID;
            }
        }
        // OpenCL is not even probed for a node that offers only the JVM.
        List<Device> found = Devices.discover(devices.isEmpty() || devices.stream().anyMatch(id -> !id.equals("jvm")));
        List<Device> offered = found;
        if (!devices.isEmpty()) {
            offered = found.stream().filter(d -> devices.contains(d.id())).toList();
            List<String> missing = devices.stream().filter(id -> found.stream().noneMatch(d -> d.id().equals(id))).toList();
            if (!missing.isEmpty()) {
                System.err.println("error: --devices: no device " + missing + " here; devices: "
                        + found.stream().map(Device::id).toList());
                found.forEach(Device::close);
                return Main.INVALID;
            }
            found.stream().filter(d -> !devices.contains(d.id())).forEach(Device::close);
        }
        EngineSettings settings = EngineSettings.defaults();
        Config journal = ConfigFactory.empty();
        if (journalUrl != null) {
            String password = System.getenv().getOrDefault("MTFLOW_JOURNAL_PASSWORD", "");
            try {
                journal = JournalSettings.postgres(journalUrl, journalUser, password);
            } catch (RuntimeException e) {
                System.err.println("error: --journal-url " + journalUrl + ": " + e.getMessage()
                        + " (is the server up, and are --journal-user and $MTFLOW_JOURNAL_PASSWORD right?)");
                return Main.INVALID;
            }
            settings = settings.withJournal(EngineSettings.Journal.CONFIGURED);
        }
        if (sharedStore != null) settings = settings.withSharedStore(sharedStore);
        Config full = user.withFallback(journal).withFallback(cluster.config()).withFallback(ConfigFactory.load());
        CountDownLatch stopped = new CountDownLatch(1);
        if (httpPort < 0 || httpPort > 65535) {
            System.err.println("error: --http-port must be 0 (a free port) to 65535");
            return Main.INVALID;
        }
        Engine.Serving serving = new Engine.Serving(bind, httpPort, tls == null ? null : TlsContexts.of(tls));
        try (Engine engine = Engine.node(Home.resolve(home), BuiltinNodes.catalog(), offered, settings, full,
                serving)) {
            ClusterRuns runs = engine.coordinateRuns(text -> WorkflowLoader.load(text, "spec.yaml", Map.of(),
                    BuiltinNodes.catalog(), engine.devices()).spec(), System.out::println);
            new RunServer(engine, runs).install();
            System.out.println("node " + engine.address() + " offers "
                    + offered.stream().map(d -> d.id() + " (" + d.info().name() + ")").collect(Collectors.joining(", "))
                    + (seeds.isEmpty() ? "; starting a new cluster" : "; joining " + String.join(", ", seeds)));
            String http = engine.server().base().toString();
            System.out.println("node http endpoint " + http + " (artifacts; runs: mtflow run FILE --cluster "
                    + http.substring(http.indexOf("://") + 3) + ")");
            if (journalUrl == null) {
                System.out.println("node journal: its own, under " + Home.resolve(home) + " (runs it coordinates do not "
                        + "survive its loss; give every node --journal-url for that)");
            }
            engine.reportMembers(line -> System.out.println(line));
            // Said once the actor system is down, from whichever thread sees it: on SIGTERM the JVM
            // exits when the hook returns, maybe before the main thread wakes up.
            String address = engine.address();
            engine.whenTerminated(() -> {
                System.out.println("node " + address + " stopped");
                System.out.flush();
                stopped.countDown();
            });
            Thread hook = new Thread(() -> {
                engine.leave();
                try {
                    stopped.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "mtflow-node-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            stopped.await();
        }
        return Main.OK;
    }
}
