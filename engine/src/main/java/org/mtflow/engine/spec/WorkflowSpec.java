package org.mtflow.engine.spec;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A workflow after loading: params resolved, tasks in declaration order. The YAML loader and the
 * Java DSL both produce this, and the engine runs only this.
 */
@JsonPropertyOrder({"name", "seed", "params", "tasks"})
public record WorkflowSpec(String name, long seed, ObjectNode params, List<TaskSpec> tasks) {

    public WorkflowSpec {
        params = params.deepCopy();
        tasks = List.copyOf(tasks);
    }

    public Optional<TaskSpec> task(String id) {
        return tasks.stream().filter(t -> t.id().equals(id)).findFirst();
    }

    public Map<String, TaskSpec> tasksById() {
        return tasks.stream().collect(Collectors.toMap(TaskSpec::id, Function.identity(), (a, b) -> a,
                java.util.LinkedHashMap::new));
    }
}
