package org.mtflow.engine.spec;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What feeds one named input of a task: one output, or a list of outputs. */
public sealed interface InputBinding {

    /** The outputs, in order (one for {@link One}). */
    List<OutputRef> refs();

    record One(OutputRef ref) implements InputBinding {
        @Override
        public List<OutputRef> refs() { return List.of(ref); }

        @JsonValue
        String text() { return ref.toString(); }
    }

    /**
     * A list of outputs, of which at least {@code minSuccess} must come from producers that
     * succeeded for the task to run. The task then runs once every listed producer has finished,
     * and receives the outputs of those that succeeded, in list order; with fewer successes it is
     * skipped. The default, {@code minSuccess == list.size()}, needs them all.
     *
     * <p>The range {@code 1..list.size()} is checked by {@link GraphValidator}, not here, so that a
     * bad value is reported with its place in the workflow.
     *
     * @param list       the outputs, in order; the same output may appear more than once
     * @param minSuccess the least number of them whose producers must succeed
     */
    record Many(List<OutputRef> list, int minSuccess) implements InputBinding {
        public Many {
            list = List.copyOf(list);
        }

        /** All of the outputs are needed. */
        public Many(List<OutputRef> list) {
            this(list, list.size());
        }

        @Override
        public List<OutputRef> refs() { return list; }

        /** Whether the task may run without some of the listed outputs ({@code minSuccess < list.size()}). */
        public boolean partial() { return minSuccess < list.size(); }

        /**
         * As written in workflow files: a plain list when all are needed, else
         * {@code {"from": [...], "min-success": k}}.
         */
        @JsonValue
        Object json() {
            List<String> texts = list.stream().map(OutputRef::toString).toList();
            if (minSuccess == list.size()) return texts;
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("from", texts);
            map.put("min-success", minSuccess);
            return map;
        }
    }
}
