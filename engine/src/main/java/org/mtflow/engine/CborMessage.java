package org.mtflow.engine;

/**
 * Marker for every message that crosses an actor boundary: bound to Jackson CBOR in
 * {@code reference.conf}, so the local engine and a cluster serialize the same way.
 */
public interface CborMessage {}
