package org.mtflow.engine.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** An artifact in the content-addressed store: the SHA-256 of its bytes (hex) and its size. */
public record ArtifactRef(String sha256, long size) {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public ArtifactRef {
        // Also what keeps store paths confined: a hash can never name "../" or an absolute path.
        if (sha256 == null || !HEX64.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a SHA-256 hex digest: " + sha256);
        }
        if (size < 0) throw new IllegalArgumentException("negative size " + size);
    }

    /** The SHA-256 of {@code bytes} as lower-case hex: the name the store gives them. */
    public static String sha256Of(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /** The first 12 hex digits, for logs. */
    public String shortHash() {
        return sha256.substring(0, 12);
    }
}
