package org.mtflow.nodes.agent.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.mtflow.engine.event.Json;

/**
 * The parts of a chat-completions answer the agent acts on: {@code choices[0].message}'s content,
 * refusal and tool calls, the finish reason, and the tokens used.
 *
 * @param content      the text, null when the message has none
 * @param refusal      the model's refusal text, null when it did not refuse that way
 * @param toolCalls    the tool calls, in order (their arguments still a JSON string: a bad one is the
 *                     model's mistake to be told about, not a broken answer)
 * @param finishReason e.g. {@code stop}, {@code tool_calls}, {@code length}, {@code content_filter}
 * @param tokens       {@code usage.total_tokens} (prompt + completion when total is absent), 0 when absent
 */
public record ChatReply(String content, String refusal, List<ToolCall> toolCalls, String finishReason, long tokens) {

    public ChatReply {
        toolCalls = List.copyOf(toolCalls);
    }

    /** One function call the model asks for. */
    public record ToolCall(String id, String name, String arguments) {}

    /** Whether the model declined: a refusal field, or the answer cut by the content filter. */
    public boolean refused() {
        return refusal != null || "content_filter".equals(finishReason);
    }

    /** Reads an answer's body; throws {@link IllegalArgumentException} naming what is missing or wrong. */
    public static ChatReply parse(String body) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the answer is not JSON (" + e.getOriginalMessage() + "): " + snippet(body));
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("the answer is not a JSON object: " + snippet(body));
        if (root.has("error")) throw new IllegalArgumentException("the answer is an error: " + snippet(root.get("error").toString()));
        JsonNode choices = root.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) throw new IllegalArgumentException("the answer has no choices[]: " + snippet(body));
        JsonNode choice = choices.get(0);
        JsonNode message = choice.get("message");
        if (message == null || !message.isObject()) throw new IllegalArgumentException("choices[0] has no message object: " + snippet(body));
        String content = text(message, "content", "choices[0].message");
        String refusal = text(message, "refusal", "choices[0].message");
        String finish = text(choice, "finish_reason", "choices[0]");
        List<ToolCall> calls = new ArrayList<>();
        JsonNode tc = message.get("tool_calls");
        if (tc != null && !tc.isNull()) {
            if (!tc.isArray()) throw new IllegalArgumentException("choices[0].message.tool_calls is not a list: " + snippet(tc.toString()));
            for (int i = 0; i < tc.size(); i++) {
                String at = "choices[0].message.tool_calls[" + i + "]";
                JsonNode c = tc.get(i);
                if (!c.isObject()) throw new IllegalArgumentException(at + " is not an object");
                String id = text(c, "id", at);
                if (id == null || id.isEmpty()) throw new IllegalArgumentException(at + " has no id");
                String type = text(c, "type", at);
                if (type != null && !type.equals("function")) throw new IllegalArgumentException(at + " has type '" + type + "', not 'function'");
                JsonNode f = c.get("function");
                if (f == null || !f.isObject()) throw new IllegalArgumentException(at + " has no function object");
                String name = text(f, "name", at + ".function");
                if (name == null || name.isEmpty()) throw new IllegalArgumentException(at + ".function has no name");
                JsonNode args = f.get("arguments");
                // The protocol sends arguments as a JSON string; some servers send the object itself.
                String arguments = args == null || args.isNull() ? "" : args.isTextual() ? args.asText() : args.toString();
                calls.add(new ToolCall(id, name, arguments));
            }
        }
        if (content == null && refusal == null && calls.isEmpty() && !"content_filter".equals(finish)) {
            throw new IllegalArgumentException("choices[0].message has neither content nor tool_calls: " + snippet(body));
        }
        long tokens = 0;
        JsonNode usage = root.get("usage");
        if (usage != null && usage.isObject()) {
            JsonNode total = usage.get("total_tokens");
            if (total != null && total.isIntegralNumber()) tokens = total.asLong();
            else tokens = usage.path("prompt_tokens").asLong(0) + usage.path("completion_tokens").asLong(0);
            if (tokens < 0) throw new IllegalArgumentException("usage counts negative tokens: " + usage);
        }
        return new ChatReply(content, refusal, calls, finish, tokens);
    }

    private static String text(JsonNode parent, String field, String at) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw new IllegalArgumentException(at + "." + field + " is not a string: " + snippet(v.toString()));
        return v.asText();
    }

    static String snippet(String s) {
        String t = s == null ? "" : s.strip().replaceAll("\\s+", " ");
        return t.length() > 200 ? t.substring(0, 197) + "..." : t;
    }
}
