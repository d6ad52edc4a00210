package org.mtflow.engine.run;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.store.ArtifactRef;

/** How one attempt ended. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "outcome")
@JsonSubTypes({
    @JsonSubTypes.Type(value = AttemptOutcome.Succeeded.class, name = "succeeded"),
    @JsonSubTypes.Type(value = AttemptOutcome.Failed.class, name = "failed"),
    @JsonSubTypes.Type(value = AttemptOutcome.Lost.class, name = "lost"),
    @JsonSubTypes.Type(value = AttemptOutcome.InputsMissing.class, name = "inputs-missing"),
})
public sealed interface AttemptOutcome {
    record Succeeded(Map<String, ArtifactRef> outputs, ObjectNode metrics) implements AttemptOutcome {}

    record Failed(ErrorClass error, String message) implements AttemptOutcome {}

    /** The worker crashed, stopped or left rotation before the attempt ended: not the task's fault. */
    record Lost(String reason) implements AttemptOutcome {}

    /**
     * On a cluster: inputs (by SHA-256) that the worker's node lacked and could fetch from none of
     * the nodes named as holding them. Not the task's fault: their producers run again (lineage).
     */
    record InputsMissing(java.util.List<String> sha256, String message) implements AttemptOutcome {}
}
