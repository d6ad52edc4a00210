package org.mtflow.nodes.agent.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What of an answer the agent reads, and what it refuses to. */
class ChatReplyTest {

    @Test
    void readsContentToolCallsFinishReasonAndTokens() {
        ChatReply r = ChatReply.parse("""
                {"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
                  "tool_calls": [{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{\\"x\\": 1}"}},
                                 {"id": "b", "function": {"name": "g", "arguments": {"y": [2]}}}]}}],
                 "usage": {"prompt_tokens": 30, "completion_tokens": 12}}
                """);
        assertEquals(List.of(new ChatReply.ToolCall("a", "f", "{\"x\": 1}"), new ChatReply.ToolCall("b", "g", "{\"y\":[2]}")), r.toolCalls(),
                "arguments sent as an object (some servers do) are read as its JSON text");
        assertEquals(null, r.content());
        assertEquals("tool_calls", r.finishReason());
        assertEquals(42, r.tokens(), "prompt + completion when total_tokens is absent");
        assertFalse(r.refused());

        ChatReply filtered = ChatReply.parse("{\"choices\": [{\"finish_reason\": \"content_filter\", \"message\": {\"role\": \"assistant\"}}]}");
        assertTrue(filtered.refused());
        assertEquals(0, filtered.tokens());
    }

    @Test
    void namesWhatIsWrongWithABrokenAnswer() {
        String[][] cases = {
                {"[1, 2]", "the answer is not a JSON object: [1, 2]"},
                {"{\"error\": {\"message\": \"model not found\"}}", "the answer is an error: {\"message\":\"model not found\"}"},
                {"{\"choices\": [{\"message\": {\"role\": \"assistant\"}}]}", "choices[0].message has neither content nor tool_calls"},
                {"{\"choices\": [{\"message\": {\"tool_calls\": {}}}]}", "choices[0].message.tool_calls is not a list: {}"},
                {"{\"choices\": [{\"message\": {\"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}}]}", "choices[0].message.tool_calls[0] has no id"},
                {"{\"choices\": [{\"message\": {\"tool_calls\": [{\"id\": \"a\", \"type\": \"code\", \"function\": {\"name\": \"f\"}}]}}]}",
                        "choices[0].message.tool_calls[0] has type 'code', not 'function'"},
                {"{\"choices\": [{\"message\": {\"content\": \"hi\"}}], \"usage\": {\"total_tokens\": -5}}", "usage counts negative tokens"},
        };
        for (String[] c : cases) {
            String m = assertThrows(IllegalArgumentException.class, () -> ChatReply.parse(c[0]), c[0]).getMessage();
            assertTrue(m.startsWith(c[1]), c[0] + " -> " + m);
        }
    }
}
