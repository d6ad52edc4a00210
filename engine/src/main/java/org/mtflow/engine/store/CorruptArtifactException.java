package org.mtflow.engine.store;

import java.io.IOException;

/** An artifact that is missing from the store, or whose bytes no longer match its hash. */
public final class CorruptArtifactException extends IOException {
    private final ArtifactRef ref;

    public CorruptArtifactException(ArtifactRef ref, String problem) {
        super("artifact " + ref.sha256() + ": " + problem);
        this.ref = ref;
    }

    public ArtifactRef ref() { return ref; }
}
