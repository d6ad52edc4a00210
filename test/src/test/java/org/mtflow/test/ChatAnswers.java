package org.mtflow.test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;

/** Chat-completions answers for the scripted model servers of the agent.llm tests. */
final class ChatAnswers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatAnswers() {}

    /** An assistant message holding one tool call. */
    static ObjectNode toolCall(String id, String name, String arguments) {
        ObjectNode message = JSON.createObjectNode().put("role", "assistant").putNull("content");
        message.putArray("tool_calls").addObject().put("id", id).put("type", "function")
                .putObject("function").put("name", name).put("arguments", arguments);
        return message;
    }

    /** An assistant message with a final answer. */
    static ObjectNode answer(String content) {
        return JSON.createObjectNode().put("role", "assistant").put("content", content);
    }

    /** Answers 200 with {@code message} as {@code choices[0]}, using {@code tokens}. */
    static void send(HttpExchange ex, ObjectNode message, long tokens) throws IOException {
        ObjectNode reply = JSON.createObjectNode().put("object", "chat.completion");
        ObjectNode choice = reply.putArray("choices").addObject().put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", message.has("tool_calls") ? "tool_calls" : "stop");
        reply.putObject("usage").put("total_tokens", tokens);
        byte[] bytes = JSON.writeValueAsBytes(reply);
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
