package org.mtflow.nodes.agent.llm;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.spec.Durations;
import org.mtflow.engine.spec.Suggestions;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.nodes.BuiltinNodes;

/**
 * An agent subtask whose policy is a language model behind an OpenAI-compatible chat-completions
 * endpoint. The model gets the goal and an allowlist of tools (node types with the params it may set,
 * each within a range or a list of choices); each tool call it makes is checked, and a valid one runs
 * as a subtask {@code call<N>} whose metrics and output hashes go back to the model; a call that does
 * not fit is never run: the model is told exactly what was wrong. The loop ends on an answer without
 * tool calls, a refusal, or a limit. Every answer is journaled in the task's checkpoint directory
 * before it is acted on, so a retried or resumed attempt replays them instead of asking again (and
 * its subtasks, named the same, come back finished).
 */
public final class LlmAgentNode implements NodeType<LlmAgentNode.Params> {
    static final String DEFAULT_KEY_ENV = "OPENAI_API_KEY";
    static final Set<String> LIMITS = Set.of("calls", "tokens", "tasks", "depth");

    private final Function<String, String> environment;

    public LlmAgentNode() {
        this(System::getenv);
    }

    /** With {@code environment} for looking up the key (tests pass a map; the node never reads another variable). */
    public LlmAgentNode(Function<String, String> environment) {
        this.environment = environment;
    }

    public record Params(
            @Required @Doc("the endpoint's base URL (http or https), e.g. https://api.openai.com/v1 or http://127.0.0.1:8080/v1") String baseUrl,
            @Required @Doc("the model name sent with each request") String model,
            @Doc("the environment variable holding the API key (sent as a Bearer token, never written anywhere); default OPENAI_API_KEY, and no key is sent when that one is unset") String apiKeyEnv,
            @Required @Doc("what the agent is asked to do: the user message") String goal,
            @Doc("the system message") String system,
            @Required @Doc("the allowlist: each {node, name, description, params: {p: {range|int|choice}}, into, fixed: {...}, inputs: {input: [indices into x]}, from-calls: [input]}") List<Map<String, Object>> tools,
            @Doc("calls (model requests, default 10), tokens (total usage, default none), tasks (tool calls, refused ones included, default 20), depth (how deep a spawned subtask this task may be, default 0)") Map<String, Long> limits,
            @Doc("how long one request may take, default 60s") String timeout,
            @Doc("how long connecting may take, default 10s") String connectTimeout,
            @Doc("tries again after a timeout, 5xx or 429 answer, default 2") Integer retries,
            @Doc("max_tokens for each answer, default none") Integer maxTokens,
            @Doc("send the key over plain http to a host other than this machine, default false (the key would travel in clear)") Boolean allowHttpKey) {
        public Params {
            ChatClient.endpoint(baseUrl);
            if (model.isBlank()) throw new IllegalArgumentException("model must name the model, e.g. gpt-4o-mini");
            if (apiKeyEnv == null) apiKeyEnv = DEFAULT_KEY_ENV;
            if (!apiKeyEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) throw new IllegalArgumentException("api-key-env must be an environment variable's name, e.g. OPENAI_API_KEY, not the key itself");
            if (goal.isBlank()) throw new IllegalArgumentException("goal must say what the agent is to do");
            List<Tool> parsed = Tool.parseAll(Json.MAPPER.valueToTree(tools), -1, "tools");
            for (int i = 0; i < parsed.size(); i++) checkAgainstNode(parsed.get(i), "tools[" + i + "]");
            limits = limits == null ? Map.of() : Map.copyOf(limits);
            for (Map.Entry<String, Long> e : limits.entrySet()) {
                if (!LIMITS.contains(e.getKey())) throw new IllegalArgumentException("limits: unknown limit '" + e.getKey() + "'; the limits are calls, tokens, tasks, depth");
                if (e.getValue() == null || e.getValue() < (e.getKey().equals("depth") ? 0 : 1)) {
                    throw new IllegalArgumentException("limits." + e.getKey() + " must be " + (e.getKey().equals("depth") ? ">= 0" : ">= 1") + ", got " + e.getValue());
                }
            }
            if (timeout == null) timeout = "60s";
            if (connectTimeout == null) connectTimeout = "10s";
            duration("timeout", timeout);
            duration("connect-timeout", connectTimeout);
            if (retries == null) retries = 2;
            if (retries < 0 || retries > 10) throw new IllegalArgumentException("retries must be in [0, 10], got " + retries);
            if (maxTokens != null && maxTokens < 1) throw new IllegalArgumentException("max-tokens must be >= 1, got " + maxTokens);
            if (allowHttpKey == null) allowHttpKey = false;
        }

        long limit(String name, long otherwise) { return limits.getOrDefault(name, otherwise); }

        /**
         * A tool's params and inputs against its node type's: known names, required ones given (values
         * are checked when a call spawns it: they depend on the model's arguments).
         */
        private static void checkAgainstNode(Tool t, String at) {
            NodeType<?> type = KnownNodes.BY_NAME.get(t.node());
            if (type == null) {
                throw new IllegalArgumentException(at + ".node: unknown node type '" + t.node() + "'; " + Suggestions.didYouMean(t.node(), KnownNodes.BY_NAME.keySet()));
            }
            Map<String, Boolean> params = new java.util.LinkedHashMap<>();
            ParamsBinder.describe(type.paramsType()).forEach(info -> params.put(info.name(), info.required()));
            java.util.Set<String> given = new java.util.LinkedHashSet<>();
            t.fixed().fieldNames().forEachRemaining(given::add);
            if (t.into() != null) given.add(t.into());
            else t.params().forEach(d -> given.add(d.name()));
            for (String name : given) {
                if (!params.containsKey(name)) {
                    throw new IllegalArgumentException(at + ": " + t.node() + " has no param '" + name + "'; "
                            + (params.isEmpty() ? "it takes none" : Suggestions.didYouMean(name, params.keySet())));
                }
            }
            params.forEach((name, required) -> {
                if (required && !given.contains(name)) throw new IllegalArgumentException(at + ": " + t.node() + " needs param '" + name + "': put it in params or fixed");
            });
            List<String> inputs = new java.util.ArrayList<>(t.inputs().keySet());
            inputs.addAll(t.fromCalls());
            for (String input : inputs) {
                if (type.inputs().stream().noneMatch(port -> port.name().equals(input))) {
                    throw new IllegalArgumentException(at + ": " + t.node() + " has no input '" + input + "'; its inputs are "
                            + String.join(", ", type.inputs().stream().map(Port::name).toList()));
                }
            }
            for (Port port : type.inputs()) {
                if (port.required() && !inputs.contains(port.name())) {
                    throw new IllegalArgumentException(at + ": input '" + port.name() + "' of " + t.node() + " must come from inputs (indices into x) or from-calls");
                }
            }
        }

        static Duration duration(String param, String text) {
            Duration d = Durations.parse(text).orElseThrow(() -> new IllegalArgumentException(param + " '" + text + "' is not a duration like 500ms, 30s or 2m"));
            if (d.isZero()) throw new IllegalArgumentException(param + " must be above 0");
            return d;
        }
    }

    /** The built-in node types by name, looked up once (the registry builds every node type). */
    private static final class KnownNodes {
        static final Map<String, NodeType<?>> BY_NAME = new java.util.TreeMap<>(BuiltinNodes.all().stream()
                .collect(java.util.stream.Collectors.toMap(NodeType::name, t -> t)));
    }

    @Override public String name() { return "agent.llm"; }
    @Override public String description() { return "An agent whose policy is a language model (OpenAI-compatible endpoint): runs the tools it calls, within an allowlist and limits, as subtasks."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "artifacts the tools pass to their subtasks, by index (a tool's inputs: {models: [0, 1]})")); }
    @Override public List<Port> outputs() {
        return List.of(Port.one("transcript", "the conversation: messages, tool calls, refused calls and why, subtask results").of(Port.Kind.JSON),
                Port.one("result", "the final answer, calls, tokens, tasks and why the loop stopped").of(Port.Kind.JSON));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        // A spawned subtask's id is <parent>/<name>; a task of a `uses` workflow counts as deeper too, which errs safe.
        int depth = (int) ctx.taskId().chars().filter(c -> c == '/').count();
        if (depth > p.limit("depth", 0)) {
            throw NodeException.permanent("agent.llm task " + ctx.taskId() + " is at spawn depth " + depth + ", over limits.depth "
                    + p.limit("depth", 0) + " (raise limits.depth to let agents start agents)");
        }
        List<ArtifactRef> x = ctx.hasInput("x") ? ctx.inputRefs("x") : List.of();
        List<Tool> tools = Tool.parseAll(Json.MAPPER.valueToTree(p.tools()), x.size(), "tools");
        String key = apiKey(p);
        if (key != null && !p.allowHttpKey() && !ChatClient.safeForKey(p.baseUrl())) {
            throw NodeException.permanent("base-url " + p.baseUrl() + " is plain http to another machine: the key in " + p.apiKeyEnv()
                    + " would travel in clear; use https, or set allow-http-key: true on a network you trust");
        }
        ChatClient client = new ChatClient(p.baseUrl(), key, Params.duration("connect-timeout", p.connectTimeout()),
                Params.duration("timeout", p.timeout()), p.retries(), Duration.ofMillis(200));
        Exchanges journal = Exchanges.open(ctx.checkpointDir().resolve("llm-exchanges.jsonl"));
        new Conversation(ctx, p, tools, x, client, journal).run();
    }

    /** The key from the environment variable api-key-env names; null (no key) when the default one is unset. */
    private String apiKey(Params p) throws NodeException {
        String key = environment.apply(p.apiKeyEnv());
        if (key != null && !key.isBlank()) return key.strip();
        if (p.apiKeyEnv().equals(DEFAULT_KEY_ENV)) return null; // a local server that takes no key
        throw NodeException.permanent("api-key-env names " + p.apiKeyEnv() + ", which is not set in the environment of the worker; set it or leave api-key-env out for a server that takes no key");
    }
}
