package org.mtflow.engine.node;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.mtflow.engine.CborMessage;
import org.mtflow.engine.store.ArtifactRef;

/**
 * How a spawned subtask ended.
 *
 * @param task      the subtask's id, {@code <parent>/<name>}
 * @param succeeded whether it produced its outputs
 * @param outputs   output name → artifact (empty when it failed)
 * @param metrics   what it recorded for the report
 * @param error     why it failed or was refused, null when it succeeded
 */
public record SubtaskResult(String task, boolean succeeded, Map<String, ArtifactRef> outputs, ObjectNode metrics,
                            String error) implements CborMessage {

    /** The artifact of one output; throws with the subtask's error when it failed. */
    public ArtifactRef output(String name) throws NodeException {
        if (!succeeded) throw NodeException.permanent("subtask " + task + " failed: " + error);
        ArtifactRef ref = outputs.get(name);
        if (ref == null) throw new IllegalArgumentException("subtask " + task + " has no output '" + name + "' " + outputs.keySet());
        return ref;
    }
}
