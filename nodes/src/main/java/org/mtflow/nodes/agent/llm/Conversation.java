package org.mtflow.nodes.agent.llm;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.Subtask;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.store.ArtifactRef;

/** One run of the loop: the messages so far, what was spent, and the transcript being written. */
final class Conversation {
    private final TaskContext<LlmAgentNode.Params> ctx;
    private final LlmAgentNode.Params p;
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

    Conversation(TaskContext<LlmAgentNode.Params> ctx, LlmAgentNode.Params p, List<Tool> tools, List<ArtifactRef> x, ChatClient client, Exchanges journal) {
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
