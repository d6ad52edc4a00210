package org.mtflow.engine.spec;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;

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

    record Many(List<OutputRef> list) implements InputBinding {
        public Many {
            list = List.copyOf(list);
        }

        @Override
        public List<OutputRef> refs() { return list; }

        @JsonValue
        List<String> texts() { return list.stream().map(OutputRef::toString).toList(); }
    }
}
