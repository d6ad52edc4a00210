package org.mtflow.engine.journal;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.CborMessage;
import org.mtflow.engine.store.ArtifactRef;

/**
 * One durable fact about a run, as stored in its {@link RunJournal}. The type names below are
 * written into the journal: renaming one makes old journals unreadable.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "entry")
@JsonSubTypes({
    @JsonSubTypes.Type(value = JournalEntry.TaskDone.class, name = "TaskDone"),
    @JsonSubTypes.Type(value = JournalEntry.TaskSpawned.class, name = "TaskSpawned"),
    @JsonSubTypes.Type(value = JournalEntry.RunEnded.class, name = "RunEnded"),
})
public sealed interface JournalEntry extends CborMessage {

    /**
     * A task finished successfully.
     *
     * @param outputs output name → artifact
     * @param metrics the node's metrics (may be an empty object)
     * @param attempt the attempt that succeeded, from 1
     * @param device  the id of the device that ran it
     * @param millis  how long the attempt ran
     * @param holders on a cluster, the artifact endpoints of the nodes holding the outputs (a coordinator
     *                that takes the run over on another node fetches them from there); null on one
     *                machine, in journals written before clusters, and with a shared store
     */
    record TaskDone(String task, Map<String, ArtifactRef> outputs, ObjectNode metrics, int attempt, String device,
                    long millis, List<String> holders) implements JournalEntry {

        public TaskDone(String task, Map<String, ArtifactRef> outputs, ObjectNode metrics, int attempt, String device,
                        long millis) {
            this(task, outputs, metrics, attempt, device, millis, null);
        }
    }

    /**
     * A task spawned a subtask at run time (a dynamic task).
     *
     * @param inputs input name → artifacts
     */
    record TaskSpawned(String parent, String task, String nodeType, ObjectNode params,
                       Map<String, List<ArtifactRef>> inputs) implements JournalEntry {}

    /** The run ended with this status ("succeeded" / "failed" / "cancelled"). */
    record RunEnded(String status) implements JournalEntry {}
}
