package org.mtflow.nodes.agent.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.Subtask;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.spec.Durations;
import org.mtflow.engine.spec.Suggestions;
import org.mtflow.nodes.BuiltinNodes;
import org.mtflow.engine.store.ArtifactRef;

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
            for (int i = 0; i < parsed.size(); i++) {
                String node = parsed.get(i).node();
                if (!KnownNodes.NAMES.contains(node)) {
                    throw new IllegalArgumentException("tools[" + i + "].node: unknown node type '" + node + "'; " + Suggestions.didYouMean(node, KnownNodes.NAMES));
                }
            }
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

        static Duration duration(String param, String text) {
            Duration d = Durations.parse(text).orElseThrow(() -> new IllegalArgumentException(param + " '" + text + "' is not a duration like 500ms, 30s or 2m"));
            if (d.isZero()) throw new IllegalArgumentException(param + " must be above 0");
            return d;
        }
    }

    /** The built-in node types' names, looked up once (the registry builds every node type). */
    private static final class KnownNodes {
        static final Set<String> NAMES = BuiltinNodes.all().stream().map(NodeType::name).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
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

    /** One run of the loop: the messages so far, what was spent, and the transcript being written. */
    private static final class Conversation {
        private final TaskContext<Params> ctx;
        private final Params p;
        private final List<Tool> tools;
        private final List<ArtifactRef> x;
        private final ChatClient client;
        private final Exchanges journal;
        private final ArrayNode messages = Json.MAPPER.createArrayNode();
        private final ArrayNode exchanges = Json.MAPPER.createArrayNode();
        /** The calls run so far by name, for tools whose inputs are earlier calls' outputs. */
        private final Map<String, SubtaskResult> finished = new LinkedHashMap<>();
        private int calls, toolCalls, spawned, rejected;
        private long tokens;

        Conversation(TaskContext<Params> ctx, Params p, List<Tool> tools, List<ArtifactRef> x, ChatClient client, Exchanges journal) {
            this.ctx = ctx;
            this.p = p;
            this.tools = tools;
            this.x = x;
            this.client = client;
            this.journal = journal;
        }

        void run() throws Exception {
            if (p.system() != null) messages.addObject().put("role", "system").put("content", p.system());
            messages.addObject().put("role", "user").put("content", p.goal());
            long maxCalls = p.limit("calls", 10), maxTokens = p.limit("tokens", Long.MAX_VALUE), maxTasks = p.limit("tasks", 20);
            String stop, answer = null, refusal = null;
            while (true) {
                ctx.checkCancelled();
                ctx.progress(Math.min(1.0, (double) calls / maxCalls), "call " + (calls + 1));
                ChatReply reply = ask();
                ObjectNode exchange = exchanges.addObject().put("call", calls).put("finish-reason", reply.finishReason()).put("tokens", reply.tokens());
                messages.add(assistantMessage(reply));
                if (reply.refused()) {
                    stop = "refusal";
                    refusal = reply.refusal() != null ? reply.refusal() : reply.content();
                    break;
                }
                if (reply.toolCalls().isEmpty()) {
                    stop = "length".equals(reply.finishReason()) ? "length" : "answer";
                    answer = reply.content();
                    break;
                }
                ArrayNode record = exchange.putArray("tool-calls");
                String limit = calls >= maxCalls ? "calls" : tokens >= maxTokens ? "tokens" : null;
                if (limit != null) {
                    // The model could not be asked again to read their results: the calls are not run.
                    for (ChatReply.ToolCall c : reply.toolCalls()) call(record, c).put("status", "not-run").put("error", "the " + limit + " limit is reached");
                    stop = limit;
                    break;
                }
                runTools(reply.toolCalls(), record, maxTasks);
                if (toolCalls >= maxTasks) {
                    stop = "tasks";
                    break;
                }
            }
            finish(stop, answer, refusal);
        }

        /** The next answer: the journal's when an earlier attempt recorded it, else the endpoint's (journaled first). */
        private ChatReply ask() throws Exception {
            ObjectNode request = Json.MAPPER.createObjectNode().put("model", p.model());
            request.set("messages", messages.deepCopy());
            ArrayNode defs = request.putArray("tools");
            tools.forEach(t -> defs.add(t.definition()));
            request.put("tool_choice", "auto");
            if (p.maxTokens() != null) request.put("max_tokens", p.maxTokens());
            String sha = Exchanges.sha256(request);
            calls++;
            String body;
            try {
                body = journal.replay(sha);
            } catch (IllegalStateException e) {
                throw NodeException.permanent(e.getMessage());
            }
            boolean fresh = body == null;
            if (fresh) body = client.redact(client.send(request));
            ChatReply reply;
            try {
                reply = ChatReply.parse(body);
            } catch (IllegalArgumentException e) {
                // Not journaled: a broken answer is never acted on, and a later attempt asks again.
                throw NodeException.permanent("call " + calls + " to " + client.endpoint() + ": " + e.getMessage());
            }
            if (fresh) journal.append(sha, body);
            tokens += reply.tokens();
            return reply;
        }

        /** Checks each call, spawns the valid ones together, and answers every call in order. */
        private void runTools(List<ChatReply.ToolCall> calls, ArrayNode record, long maxTasks) throws Exception {
            List<ObjectNode> entries = new ArrayList<>();
            List<String> answers = new ArrayList<>();
            Map<Integer, Subtask> running = new LinkedHashMap<>();
            Map<Integer, String> names = new LinkedHashMap<>();
            for (ChatReply.ToolCall c : calls) {
                ObjectNode entry = call(record, c);
                entries.add(entry);
                if (toolCalls >= maxTasks) {
                    entry.put("status", "not-run").put("error", "the tasks limit (" + maxTasks + " tool calls) is reached");
                    answers.add("error: not run, the limit of " + maxTasks + " tool calls is reached");
                    continue;
                }
                toolCalls++;
                Tool tool = tools.stream().filter(t -> t.name().equals(c.name())).findFirst().orElse(null);
                Tool.Bound bound;
                try {
                    if (tool == null) {
                        throw new IllegalArgumentException("unknown tool '" + c.name() + "'; the tools are "
                                + String.join(", ", tools.stream().map(Tool::name).toList()));
                    }
                    bound = tool.bind(c.arguments(), x, finished);
                } catch (IllegalArgumentException e) {
                    rejected++;
                    entry.put("status", "rejected").put("error", e.getMessage());
                    answers.add("error: " + e.getMessage());
                    continue;
                }
                spawned++;
                String name = "call" + spawned;
                entry.put("status", "spawned").put("task", ctx.taskId() + "/" + name);
                entry.set("params", bound.params());
                if (!bound.inputs().isEmpty()) {
                    ObjectNode in = entry.putObject("inputs");
                    bound.inputs().forEach((input, refs) -> {
                        ArrayNode hashes = in.putArray(input);
                        refs.forEach(ref -> hashes.add(ref.sha256()));
                    });
                }
                names.put(entries.size() - 1, name);
                running.put(entries.size() - 1, ctx.spawn(name, tool.node(), bound.params(), bound.inputs()));
                answers.add(null);
            }
            List<SubtaskResult> results = ctx.await(new ArrayList<>(running.values()));
            int k = 0;
            for (int i : running.keySet()) {
                SubtaskResult r = results.get(k++);
                ObjectNode result = Json.MAPPER.createObjectNode().put("task", r.task()).put("succeeded", r.succeeded());
                result.set("metrics", r.metrics() == null ? Json.MAPPER.createObjectNode() : r.metrics());
                ObjectNode outputs = result.putObject("outputs");
                r.outputs().forEach((n, ref) -> outputs.put(n, ref.sha256()));
                if (!r.succeeded()) result.put("error", r.error());
                entries.get(i).set("result", result);
                finished.put(names.get(i), r);
                answers.set(i, Json.MAPPER.writeValueAsString(result));
            }
            for (int i = 0; i < calls.size(); i++) {
                messages.addObject().put("role", "tool").put("tool_call_id", calls.get(i).id()).put("content", answers.get(i));
            }
        }

        private static ObjectNode call(ArrayNode record, ChatReply.ToolCall c) {
            return record.addObject().put("id", c.id()).put("tool", c.name()).put("arguments", c.arguments());
        }

        private static ObjectNode assistantMessage(ChatReply reply) {
            ObjectNode m = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", reply.content());
            if (reply.refusal() != null) m.put("refusal", reply.refusal());
            if (!reply.toolCalls().isEmpty()) {
                ArrayNode calls = m.putArray("tool_calls");
                for (ChatReply.ToolCall c : reply.toolCalls()) {
                    calls.addObject().put("id", c.id()).put("type", "function").putObject("function")
                            .put("name", c.name()).put("arguments", c.arguments());
                }
            }
            return m;
        }

        private void finish(String stop, String answer, String refusal) throws Exception {
            ObjectNode result = Json.MAPPER.createObjectNode().put("stop", stop).put("answer", answer);
            if (refusal != null) result.put("refusal", refusal);
            result.put("calls", calls).put("tokens", tokens).put("tasks", spawned).put("rejected", rejected);
            ObjectNode transcript = Json.MAPPER.createObjectNode().put("model", p.model());
            ArrayNode defs = transcript.putArray("tools");
            tools.forEach(t -> defs.add(t.definition()));
            transcript.set("messages", messages);
            transcript.set("exchanges", exchanges);
            transcript.set("result", result);
            byte[] t = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(transcript);
            byte[] r = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(result);
            ctx.output("transcript", out -> out.write(t));
            ctx.output("result", out -> out.write(r));
            ctx.metric("stop", stop);
            ctx.metric("calls", calls);
            ctx.metric("tokens", tokens);
            ctx.metric("tasks", spawned);
            ctx.metric("rejected", rejected);
            ctx.progress(1.0, "stopped: " + stop);
        }
    }
}
