package org.mtflow.engine.node;

import org.mtflow.engine.spec.ErrorClass;

/** A failure a node type classifies itself, e.g. a permanent error that must not be retried. */
public class NodeException extends Exception {
    private final ErrorClass errorClass;

    public NodeException(ErrorClass errorClass, String message) {
        super(message);
        this.errorClass = errorClass;
    }

    public NodeException(ErrorClass errorClass, String message, Throwable cause) {
        super(message, cause);
        this.errorClass = errorClass;
    }

    public static NodeException permanent(String message) {
        return new NodeException(ErrorClass.PERMANENT, message);
    }

    public static NodeException transientError(String message) {
        return new NodeException(ErrorClass.TRANSIENT, message);
    }

    public ErrorClass errorClass() { return errorClass; }
}
