package org.mtflow.engine.cluster;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The TLS context of a node's own endpoints (artifact transfer), from the same stores as Artery's. */
public final class TlsContexts {
    private TlsContexts() {}

    /**
     * A TLS 1.3 context that presents this node's key and trusts only the cluster's certificate:
     * used on both sides, it gives the mutual authentication that Artery has.
     */
    public static SSLContext of(ClusterSettings.Tls tls) throws IOException {
        try {
            KeyStore keys = KeyStore.getInstance(tls.keyStore().toFile(), tls.keyStorePassword().toCharArray());
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, tls.keyStorePassword().toCharArray());
            KeyStore trusted = KeyStore.getInstance(tls.trustStore().toFile(), tls.trustStorePassword().toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot load the TLS stores " + tls.keyStore() + ", " + tls.trustStore() + ": " + e.getMessage(), e);
        }
    }
}
