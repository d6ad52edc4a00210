package org.mtflow.cli;

import java.nio.file.Path;
import org.mtflow.engine.cluster.ClusterSettings;
import picocli.CommandLine.Option;

/** TLS credentials of a node, or of a client of a node: the stores the cluster's Artery uses. */
final class TlsOptions {

    @Option(names = "--tls-keystore", paramLabel = "FILE", description = "this side's key and certificate (PKCS12 or JKS)")
    Path keyStore;

    @Option(names = "--tls-truststore", paramLabel = "FILE", description = "the cluster's certificate or CA")
    Path trustStore;

    @Option(names = "--tls-password-env", paramLabel = "VAR",
            description = "environment variable holding the stores' password (default: MTFLOW_TLS_PASSWORD)")
    String passwordEnv = "MTFLOW_TLS_PASSWORD";

    /** The credentials, or null for none; an error when only one store is given. */
    ClusterSettings.Tls tls() {
        if ((keyStore == null) != (trustStore == null)) {
            throw new IllegalArgumentException("TLS needs both --tls-keystore and --tls-truststore");
        }
        if (keyStore == null) return null;
        String password = System.getenv(passwordEnv);
        return new ClusterSettings.Tls(keyStore, password, trustStore, password);
    }
}
