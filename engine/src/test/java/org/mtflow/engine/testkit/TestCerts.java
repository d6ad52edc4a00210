package org.mtflow.engine.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mtflow.engine.cluster.ClusterSettings;

/** Fresh TLS credentials for tests, made by the JDK's keytool: PKCS12 stores, one password. */
public final class TestCerts {
    public static final String PASSWORD = "changeit";

    private TestCerts() {}

    /**
     * In {@code dir}: a keystore with a fresh self-signed EC key {@code key} (made once), and a
     * truststore holding the certificate of key {@code trusted} (made once, with its key).
     */
    public static ClusterSettings.Tls tls(Path dir, String key, String trusted) throws Exception {
        Path ts = dir.resolve(trusted + "-trust.p12");
        if (!Files.exists(ts)) {
            Path cert = dir.resolve(trusted + ".cer");
            keytool("-exportcert", "-alias", trusted, "-keystore", keyStore(dir, trusted).toString(),
                    "-storepass", PASSWORD, "-file", cert.toString());
            keytool("-importcert", "-noprompt", "-alias", trusted, "-file", cert.toString(), "-storetype", "PKCS12",
                    "-keystore", ts.toString(), "-storepass", PASSWORD);
        }
        return new ClusterSettings.Tls(keyStore(dir, key), PASSWORD, ts, PASSWORD);
    }

    private static Path keyStore(Path dir, String key) throws Exception {
        Path ks = dir.resolve(key + ".p12");
        if (!Files.exists(ks)) {
            // Named for loopback: HTTPS clients check that a node's certificate names its address.
            keytool("-genkeypair", "-alias", key, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + key,
                    "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                    "-keystore", ks.toString(), "-storepass", PASSWORD);
        }
        return ks;
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + ": " + out);
        }
    }
}
