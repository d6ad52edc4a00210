package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.Subtask;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.spec.Durations;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.nodes.BuiltinNodes;

/**
 * An agent subtask: a search that proposes candidates with a {@link SearchPolicy}, runs each one's
 * {@link Template} as spawned subtasks ({@code c<index>.<template task>}), reads the objective metrics
 * they report and proposes again, until its budget ends or the policy has nothing more to propose.
 *
 * <p>Deterministic whatever the workers: candidates run in batches of {@code parallel}, and the policy
 * sees a whole batch before proposing the next. Resumable: the policy is a pure function of history and
 * spawning a name again returns the finished subtask, so a resumed search proposes the same candidates
 * and reruns none that finished; {@link DecisionLog} checks that replay. Only a {@code wall-time}
 * budget depends on time: where such a search stops depends on how fast its candidates ran.
 */
public final class SearchNode implements NodeType<SearchNode.Params> {

    private static final List<Port> INPUTS = List.of(
            Port.optional("base", "a model the template may read as inputs.base").of(Port.Kind.MODEL),
            Port.optionalMany("models", "models the template may read as inputs.models").of(Port.Kind.MODEL),
            Port.optional("dataset", "a dataset the template may read as inputs.dataset").of(Port.Kind.DATASET),
            Port.optionalMany("datasets", "datasets the template may read as inputs.datasets").of(Port.Kind.DATASET),
            Port.optionalMany("references", "JSON artifacts (say, reference metrics) the template may read as inputs.references").of(Port.Kind.JSON),
            Port.optionalMany("x", "any artifacts the template may read as inputs.x"));

    public record Params(
            @Required @Doc("the params to search: name → {range: [lo, hi]} (log: true), {int: [lo, hi]} or {choice: [...]}") JsonNode space,
            @Doc("the policy proposing candidates (random, ...; default random)") String policy,
            @Doc("the policy's own options") JsonNode policyOptions,
            @Doc("the policy's seed, default the run's") Long seed,
            @Required @Doc("the tasks run per candidate: {tasks: {ID: {type, with, inputs}}} (or {uses: FILE}); ${candidate.NAME} takes a param,"
                    + " inputs.NAME the search's inputs, ID.OUTPUT another template task's output") JsonNode template,
            @Required @Doc("{metric: TASK.METRIC, goal: maximize|minimize}, or a list of them for a Pareto front") JsonNode objective,
            @Required @Doc("{candidates: N, parallel: 1, patience: N, wall-time: 10m}: at most N candidates, run parallel at a time; stop after"
                    + " patience candidates without improvement or past wall-time (optional)") JsonNode budget) {
        public Params {
            if (policy == null) policy = "random";
            compile(space, policy, policyOptions, template, objective, budget);
        }

        /** Everything parsed, for the run (and, in the constructor, checked before the run). */
        Search compile() {
            return compile(space, policy, policyOptions, template, objective, budget);
        }

        private static Search compile(JsonNode space, String policy, JsonNode policyOptions, JsonNode template, JsonNode objective, JsonNode budget) {
            SearchSpace s = SearchSpace.parse(space, "space");
            SearchPolicies.Factory factory = SearchPolicies.named(policy).orElseThrow(() -> new IllegalArgumentException(
                    "unknown policy '" + policy + "' (there are " + String.join(", ", SearchPolicies.names()) + ")"));
            if (policyOptions != null && !policyOptions.isNull() && !policyOptions.isObject()) {
                throw new IllegalArgumentException("policy-options must be a map of the policy's options");
            }
            ObjectNode options = policyOptions instanceof ObjectNode o ? o : Json.MAPPER.createObjectNode();
            // Checks the options now, not mid-run; its first candidate shows the params a template may use.
            List<Candidate> first = factory.create(s, options, 0).propose(List.of(), 1);
            Set<String> params = new LinkedHashSet<>();
            s.dimensions().forEach(d -> params.add(d.name()));
            first.forEach(c -> params.addAll(c.params().keySet())); // halving adds its budget param
            Set<String> inputs = new LinkedHashSet<>();
            INPUTS.forEach(p -> inputs.add(p.name()));
            Template t = Template.parse(template, inputs, params);
            if (!first.isEmpty()) t.check(Builtins.CATALOG, first.get(0));
            return new Search(s, policy, factory, options, t, Objective.parse(objective, t), Budget.parse(budget));
        }
    }

    /** The built-in node types, what a template is checked against before the run (made on first use: BuiltinNodes makes a SearchNode). */
    private static final class Builtins {
        static final NodeCatalog CATALOG = BuiltinNodes.catalog();
    }

    /** The params parsed. */
    record Search(SearchSpace space, String policyName, SearchPolicies.Factory policy, ObjectNode options, Template template,
                  List<Objective> objectives, Budget budget) {}

    /** When the search stops: after {@code candidates}, {@code patience} without improvement, or past {@code wallTime}. */
    record Budget(int candidates, int parallel, Integer patience, Duration wallTime) {
        static Budget parse(JsonNode b) {
            String usage = "budget is {candidates: N, parallel: P, patience: N, wall-time: 10m} (candidates required)";
            if (b == null || !b.isObject()) throw new IllegalArgumentException(usage);
            for (String key : (Iterable<String>) b::fieldNames) {
                if (!List.of("candidates", "parallel", "patience", "wall-time").contains(key)) {
                    throw new IllegalArgumentException("budget: unknown key '" + key + "'; " + usage);
                }
            }
            int candidates = positive(b, "candidates", usage);
            int parallel = b.has("parallel") ? positive(b, "parallel", usage) : 1;
            Integer patience = b.has("patience") ? positive(b, "patience", usage) : null;
            Duration wall = null;
            if (b.has("wall-time")) {
                wall = Durations.parse(b.get("wall-time").asText()).filter(d -> b.get("wall-time").isTextual() && !d.isZero())
                        .orElseThrow(() -> new IllegalArgumentException("budget: wall-time must be a duration such as 90s, 10m or 2h, got " + b.get("wall-time")));
            }
            return new Budget(candidates, parallel, patience, wall);
        }

        private static int positive(JsonNode b, String key, String usage) {
            JsonNode v = b.get(key);
            if (v == null || !v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > 1_000_000) {
                throw new IllegalArgumentException("budget: " + key + " must be a whole number from 1, got " + (v == null ? "nothing" : v) + "; " + usage);
            }
            return v.asInt();
        }
    }

    @Override public String name() { return "agent.search"; }
    @Override public String description() {
        return "Searches params with a policy: runs a template of tasks per candidate as subtasks, reads their metrics, stops at a budget; writes the best (or the Pareto front) and the trace.";
    }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return INPUTS; }
    @Override public List<Port> outputs() {
        return List.of(Port.one("best", "the best candidate's params, metrics and output hashes; the Pareto front for several objectives").of(Port.Kind.JSON),
                Port.one("trace", "every candidate: params, point, status, metrics, output hashes").of(Port.Kind.JSON));
    }

    /** How one candidate's template ran. */
    private record Outcome(Map<String, SubtaskResult> results, String failedStep, String error) {}

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Search s = ctx.params().compile();
        long seed = ctx.params().seed() != null ? ctx.params().seed() : ctx.seed();
        SearchPolicy policy = s.policy().create(s.space(), s.options(), seed);
        Map<String, List<ArtifactRef>> searchInputs = searchInputs(ctx, s.template());
        ObjectNode header = Json.MAPPER.createObjectNode().put("event", "search").put("policy", s.policyName());
        header.set("policy-options", s.options());
        header.put("seed", seed);
        header.set("space", ctx.params().space());
        DecisionLog log = DecisionLog.open(ctx.checkpointDir(), header, ctx.taskId());

        Budget budget = s.budget();
        Instant start = Instant.now();
        List<Observation> history = new ArrayList<>();
        ArrayNode trace = Json.MAPPER.createArrayNode();
        List<Double> seconds = new ArrayList<>();
        String stopped;
        while (true) {
            ctx.checkCancelled();
            if (history.size() >= budget.candidates()) { stopped = "candidates"; break; }
            if (budget.patience() != null && sinceImprovement(history) >= budget.patience()) { stopped = "patience"; break; }
            // Checked from the second batch on: a search always runs one batch, so it has a best.
            if (budget.wallTime() != null && !history.isEmpty() && Duration.between(start, Instant.now()).compareTo(budget.wallTime()) >= 0) { stopped = "wall-time"; break; }
            int n = Math.min(budget.parallel(), budget.candidates() - history.size());
            List<Candidate> batch = policy.propose(List.copyOf(history), n);
            if (batch.isEmpty()) { stopped = "policy"; break; }
            for (int k = 0; k < batch.size(); k++) {
                Candidate c = batch.get(k);
                if (k >= n || c.index() != history.size() + k) {
                    throw new IllegalStateException("policy " + s.policyName() + " proposed " + batch.size() + " candidates indexed from "
                            + batch.get(0).index() + " when asked for " + n + " from " + history.size());
                }
                log.proposed(proposal(c, s.space(), s.policyName(), seed), ctx.taskId());
            }
            ctx.progress((double) history.size() / budget.candidates(), "candidates " + history.size() + "-" + (history.size() + batch.size() - 1));
            Instant batchStart = Instant.now();
            List<Outcome> outcomes = runBatch(ctx, s.template(), batch, searchInputs);
            double took = Duration.between(batchStart, Instant.now()).toMillis() / 1000.0;
            for (int k = 0; k < batch.size(); k++) {
                Candidate c = batch.get(k);
                Outcome o = outcomes.get(k);
                ObjectNode entry = traceEntry(c, s.space(), o, s.objectives());
                Observation obs = new Observation(c, o.failedStep() == null ? scores(entry, s.objectives()) : null);
                history.add(obs);
                trace.add(entry);
                ObjectNode line = entry.deepCopy().put("event", "observed");
                line.remove("params");
                line.remove("point");
                JsonNode before = log.observedBefore(c.index());
                line.put("seconds", before != null ? before.path("seconds").asDouble() : took);
                line.put("time", before != null ? before.path("time").asText() : Instant.now().toString());
                log.observed(line);
                seconds.add(line.get("seconds").asDouble());
            }
        }
        finish(ctx, s, seed, history, trace, stopped, seconds);
    }

    /** The artifacts of every search input the template names; a missing one is an error naming the template task. */
    private static Map<String, List<ArtifactRef>> searchInputs(TaskContext<Params> ctx, Template template) throws NodeException {
        Map<String, List<ArtifactRef>> out = new LinkedHashMap<>();
        for (Template.Step step : template.steps()) {
            for (List<Template.Source> sources : step.inputs().values()) {
                for (Template.Source src : sources) {
                    if (src instanceof Template.SearchInput in && !out.containsKey(in.name())) {
                        if (!ctx.hasInput(in.name())) {
                            throw NodeException.permanent("template task '" + step.id() + "' reads inputs." + in.name() + ", but search task '"
                                    + ctx.taskId() + "' binds no input '" + in.name() + "' (add it under the search task's inputs)");
                        }
                        out.put(in.name(), ctx.inputRefs(in.name()));
                    }
                }
            }
        }
        return out;
    }

    /** The batch's templates, level by level: every candidate's tasks of a level spawned at once, then awaited. */
    private static List<Outcome> runBatch(TaskContext<Params> ctx, Template template, List<Candidate> batch,
                                          Map<String, List<ArtifactRef>> searchInputs) throws Exception {
        List<Map<String, SubtaskResult>> results = new ArrayList<>();
        String[] failedStep = new String[batch.size()];
        String[] error = new String[batch.size()];
        batch.forEach(c -> results.add(new LinkedHashMap<>()));
        for (int level = 0; level < template.levels(); level++) {
            List<Subtask> spawned = new ArrayList<>();
            List<int[]> owners = new ArrayList<>(); // (candidate position, step position)
            for (int k = 0; k < batch.size(); k++) {
                if (failedStep[k] != null) continue;
                for (int j = 0; j < template.steps().size(); j++) {
                    Template.Step step = template.steps().get(j);
                    if (step.level() != level) continue;
                    Map<String, List<ArtifactRef>> inputs = new LinkedHashMap<>();
                    for (Map.Entry<String, List<Template.Source>> in : step.inputs().entrySet()) {
                        List<ArtifactRef> refs = new ArrayList<>();
                        for (Template.Source src : in.getValue()) {
                            if (src instanceof Template.SearchInput si) {
                                refs.addAll(searchInputs.get(si.name()));
                            } else if (src instanceof Template.StepOutput so) {
                                SubtaskResult r = results.get(k).get(so.step());
                                ArtifactRef ref = r.outputs().get(so.output());
                                if (ref == null) {
                                    throw NodeException.permanent("template task '" + step.id() + "' input '" + in.getKey() + "': template task '"
                                            + so.step() + "' has no output '" + so.output() + "' (it has " + String.join(", ", r.outputs().keySet()) + ")");
                                }
                                refs.add(ref);
                            }
                        }
                        inputs.put(in.getKey(), refs);
                    }
                    spawned.add(ctx.spawn(subtaskName(batch.get(k), step), step.type(), Template.params(step, batch.get(k)), inputs));
                    owners.add(new int[] {k, j});
                }
            }
            List<SubtaskResult> done = ctx.await(spawned);
            for (int i = 0; i < done.size(); i++) {
                int k = owners.get(i)[0];
                Template.Step step = template.steps().get(owners.get(i)[1]);
                SubtaskResult r = done.get(i);
                if (!r.succeeded() && refused(r)) {
                    // Never ran: the template itself is wrong (node type, params, inputs), for every candidate alike.
                    throw NodeException.permanent("template task '" + step.id() + "' (subtask " + r.task() + ") was refused: " + r.error());
                }
                results.get(k).put(step.id(), r);
                if (!r.succeeded() && failedStep[k] == null) {
                    failedStep[k] = step.id();
                    error[k] = r.error();
                }
            }
        }
        List<Outcome> out = new ArrayList<>();
        for (int k = 0; k < batch.size(); k++) out.add(new Outcome(results.get(k), failedStep[k], error[k]));
        return out;
    }

    /** A subtask the engine refused to spawn reports why, not that it failed or was skipped. */
    private static boolean refused(SubtaskResult r) {
        return r.error() != null && !r.error().startsWith("failed") && !r.error().equals("skipped");
    }

    static String subtaskName(Candidate c, Template.Step step) {
        return "c" + c.index() + "." + step.id();
    }

    /** A candidate's params in the space's order (a candidate's own map has none), so the trace's bytes are the same every run. */
    private static ObjectNode params(Candidate c, SearchSpace space) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        for (SearchSpace.Dimension d : space.dimensions()) out.set(d.name(), Json.MAPPER.valueToTree(c.params().get(d.name())));
        c.params().keySet().stream().sorted().filter(k -> !out.has(k)).forEach(k -> out.set(k, Json.MAPPER.valueToTree(c.params().get(k))));
        return out;
    }

    private static ObjectNode proposal(Candidate c, SearchSpace space, String policy, long seed) {
        ObjectNode line = Json.MAPPER.createObjectNode().put("event", "proposed").put("index", c.index());
        line.set("params", params(c, space));
        line.set("point", Json.MAPPER.valueToTree(c.point()));
        line.put("policy", policy).put("seed", seed);
        return line;
    }

    /** A candidate's entry in the trace: what it was and what it gave (nothing that depends on time, so the artifact is reproducible). */
    private static ObjectNode traceEntry(Candidate c, SearchSpace space, Outcome o, List<Objective> objectives) throws NodeException {
        ObjectNode e = Json.MAPPER.createObjectNode().put("index", c.index());
        e.set("params", params(c, space));
        e.set("point", Json.MAPPER.valueToTree(c.point()));
        e.put("status", o.failedStep() == null ? "succeeded" : "failed");
        if (o.failedStep() != null) {
            e.put("failed-task", o.failedStep());
            e.put("error", o.error());
        } else {
            ObjectNode metrics = e.putObject("metrics");
            for (Objective obj : objectives) metrics.put(obj.metric(), readMetric(obj, o));
        }
        ObjectNode outputs = e.putObject("outputs");
        o.results().forEach((step, r) -> {
            ObjectNode hashes = outputs.putObject(step);
            r.outputs().forEach((name, ref) -> hashes.put(name, ref.sha256()));
        });
        return e;
    }

    private static double readMetric(Objective obj, Outcome o) throws NodeException {
        try {
            return obj.read(o.results().get(obj.task()).metrics());
        } catch (IllegalArgumentException e) {
            throw NodeException.permanent(e.getMessage() + "; fix the objective's metric");
        }
    }

    private static double[] scores(ObjectNode entry, List<Objective> objectives) {
        double[] out = new double[objectives.size()];
        for (int i = 0; i < out.length; i++) out[i] = objectives.get(i).score(entry.path("metrics").path(objectives.get(i).metric()).asDouble());
        return out;
    }

    /** Candidates since the last one that improved on all before it (all of them when none did). */
    static int sinceImprovement(List<Observation> history) {
        for (int i = history.size() - 1; i >= 0; i--) {
            if (ParetoFront.improves(history, i)) return history.size() - 1 - i;
        }
        return history.size();
    }

    private static void finish(TaskContext<Params> ctx, Search s, long seed, List<Observation> history, ArrayNode trace, String stopped,
                               List<Double> seconds) throws Exception {
        long failed = history.stream().filter(Observation::failed).count();
        ctx.metric("candidates", history.size());
        ctx.metric("failed", failed);
        ctx.metric("stopped", stopped);
        ctx.metric("candidate-seconds", seconds);
        if (failed == history.size()) {
            String first = history.isEmpty() ? "the policy proposed none" : trace.get(0).path("failed-task").asText() + ": " + trace.get(0).path("error").asText();
            throw NodeException.permanent("all " + history.size() + " candidates failed, so there is no best (first: " + first + ")");
        }
        ObjectNode best = Json.MAPPER.createObjectNode();
        ArrayNode objectives = best.putArray("objective");
        s.objectives().forEach(o -> objectives.addObject().put("metric", o.metric()).put("goal", o.maximize() ? "maximize" : "minimize"));
        List<Observation> front = ParetoFront.of(history);
        if (s.objectives().size() == 1) {
            Observation top = front.get(0); // the front of one objective: every candidate with the top score, the first wins
            JsonNode entry = trace.get(top.candidate().index());
            best.set("best", entry);
            ctx.metric("best-index", top.candidate().index());
            ctx.metric("best-params", params(top.candidate(), s.space()));
            ctx.metric("best-score", entry.path("metrics").path(s.objectives().get(0).metric()).asDouble());
        } else {
            ArrayNode pareto = best.putArray("pareto");
            front.forEach(o -> pareto.add(trace.get(o.candidate().index())));
            ctx.metric("pareto-size", front.size());
            ctx.metric("pareto-indexes", front.stream().map(o -> o.candidate().index()).toList());
        }
        ObjectNode t = Json.MAPPER.createObjectNode().put("policy", s.policyName());
        t.set("policy-options", s.options());
        t.put("seed", seed);
        t.set("space", ctx.params().space());
        t.set("objective", objectives);
        t.put("stopped", stopped);
        t.set("candidates", trace);
        byte[] bestBytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(best);
        byte[] traceBytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(t);
        ctx.output("best", out -> out.write(bestBytes));
        ctx.output("trace", out -> out.write(traceBytes));
    }
}
