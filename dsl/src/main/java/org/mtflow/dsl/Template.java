package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tasks an {@code agent.search} runs per candidate, built in a Java script and given as its
 * {@code template} param ({@code search.with("template", t)}): the YAML form
 * {@code {tasks: {ID: {type, with, inputs}}}}, which the node checks when the workflow is built.
 * <pre>
 * Template t = new Template();
 * Template.Step merge = t.task("merge", "merge.ties")
 *         .inputs("base", Template.searchInput("base"))
 *         .with("parameters", Map.of("lambda", Template.candidate("lambda")));
 * t.task("predict", "model.predict").inputs("model", merge.out("model")).inputs("dataset", Template.searchInput("dataset"));
 * </pre>
 */
public final class Template {
    private final Map<String, Step> steps = new LinkedHashMap<>();

    /** Adds a template task; its id names its subtasks ({@code c<index>.<id>}) and its outputs ({@code id.output}). */
    public Step task(String id, String type) {
        Step s = new Step(type);
        steps.put(id, s);
        s.id = id;
        return s;
    }

    /** A candidate's value of a param of the search space, as a whole param value keeping its type. */
    public static String candidate(String name) {
        return "${candidate." + name + "}";
    }

    /** Every artifact of an input of the search task, as a template task's input. */
    public static String searchInput(String name) {
        return "inputs." + name;
    }

    /** The template as the search's param receives it. */
    JsonNode json() throws JsonValues.Unsupported {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode tasks = root.putObject("tasks");
        for (Map.Entry<String, Step> e : steps.entrySet()) {
            ObjectNode t = tasks.putObject(e.getKey()).put("type", e.getValue().type);
            if (!e.getValue().with.isEmpty()) t.set("with", JsonValues.of(e.getValue().with));
            if (!e.getValue().inputs.isEmpty()) t.set("inputs", JsonValues.of(e.getValue().inputs));
        }
        return root;
    }

    /** One template task. */
    public static final class Step {
        private final String type;
        private String id;
        private final Map<String, Object> with = new LinkedHashMap<>();
        private final Map<String, Object> inputs = new LinkedHashMap<>();

        private Step(String type) {
            this.type = type;
        }

        /** Sets a param; {@link Template#candidate} in it takes the candidate's value. */
        public Step with(String param, Object value) {
            with.put(param, value);
            return this;
        }

        /** Feeds an input from sources: {@link Template#searchInput} or another step's {@link #out}; several make a list. */
        public Step inputs(String name, String... sources) {
            inputs.put(name, sources.length == 1 ? sources[0] : new ArrayList<>(List.of(sources)));
            return this;
        }

        /** This step's output, as another step's input source. */
        public String out(String output) {
            return id + "." + output;
        }
    }
}
