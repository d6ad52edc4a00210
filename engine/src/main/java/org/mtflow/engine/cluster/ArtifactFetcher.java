package org.mtflow.engine.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;

/**
 * Brings an artifact held by another node into this node's store: streamed from that node's
 * {@link ArtifactServer}, hashed as it arrives and published only when its size and SHA-256 are the
 * ones asked for; an artifact already here intact is not fetched again. No size limit beyond disk.
 */
public final class ArtifactFetcher {
    private static final int TIMEOUT_MS = 30_000;

    private final ArtifactStore store;
    private final SSLContext tls;

    /** {@code tls}: this node's context (mutual TLS), or null where the cluster runs plain on loopback. */
    public ArtifactFetcher(ArtifactStore store, SSLContext tls) {
        this.store = store;
        this.tls = tls;
    }

    /** The artifact's file in this node's store, fetched from the node at {@code from} when missing. */
    public Path fetch(URI from, ArtifactRef ref) throws IOException {
        if (store.contains(ref)) {
            try {
                return store.read(ref);
            } catch (IOException corrupt) {
                // A bad local copy: fetch a good one over it.
            }
        }
        URI uri = from.resolve("/artifacts/" + ref.sha256() + "?size=" + ref.size());
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        if (c instanceof HttpsURLConnection https) {
            if (tls == null) throw new IOException("node " + from + " serves HTTPS, but this node has no TLS credentials");
            https.setSSLSocketFactory(tls.getSocketFactory());
            // Trust comes from the cluster's own truststore and client certificates, as in Artery:
            // node certificates need not name the addresses nodes have.
            https.setHostnameVerifier((host, session) -> true);
        }
        c.setConnectTimeout(TIMEOUT_MS);
        c.setReadTimeout(TIMEOUT_MS);
        try {
            int status = c.getResponseCode();
            if (status != 200) {
                String why;
                try (InputStream err = c.getErrorStream()) {
                    why = err == null ? "" : new String(err.readNBytes(500), StandardCharsets.UTF_8);
                }
                throw new IOException("node " + from + " answered " + status + " for artifact " + ref.sha256() + ": " + why);
            }
            try (InputStream in = c.getInputStream()) {
                store.receive(ref, in::transferTo);
            }
            return store.read(ref);
        } finally {
            c.disconnect();
        }
    }
}
