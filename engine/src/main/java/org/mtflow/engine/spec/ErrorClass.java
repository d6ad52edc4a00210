package org.mtflow.engine.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Why an attempt failed, as far as retry policies are concerned. */
public enum ErrorClass {
    /** Worth another try: I/O hiccups, flaky services, a node that says so. */
    TRANSIENT,
    /** The device or JVM ran out of memory. */
    OOM,
    /** The device failed (OpenCL build or launch error); another device may do. */
    DEVICE,
    /** The attempt ran past the task's timeout. */
    TIMEOUT,
    /** Retrying cannot help (bad params, bad data): never retried. */
    PERMANENT,
    /** Any error but a permanent one (only as a policy's {@code on} entry). */
    ANY;

    @JsonValue
    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }

    // DELEGATING: with the parameter-names module (Pekko's Jackson setup) a one-argument creator
    // would otherwise be taken as property-based, and no message carrying an ErrorClass could be read.
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static ErrorClass parse(String token) {
        return valueOf(token.toUpperCase(Locale.ROOT));
    }
}
