package org.mtflow.nodes.agent.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.event.Json;

class ExchangesTest {

    @Test
    void answersComeBackInOrderForTheSameRequestsAndATornTailIsDropped(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("llm-exchanges.jsonl");
        Exchanges first = Exchanges.open(file);
        assertNull(first.replay("r1"));
        first.append("r1", "{\"a\": 1}");
        first.append("r2", "not json, kept as text\nwith a newline");
        Files.writeString(file, "{\"call\": 3, \"request-sha", StandardOpenOption.APPEND); // a crash mid-append

        Exchanges second = Exchanges.open(file);
        assertEquals(2, second.pending());
        assertEquals("{\"a\": 1}", second.replay("r1"));
        assertEquals("not json, kept as text\nwith a newline", second.replay("r2"));
        assertNull(second.replay("r3"));
        second.append("r3", "three");
        var lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(3, lines.size());
        assertEquals(3, Json.MAPPER.readTree(lines.get(2)).path("call").asInt());

        Exchanges third = Exchanges.open(file);
        third.replay("r1");
        var e = assertThrows(IllegalStateException.class, () -> third.replay("other"));
        assertTrue(e.getMessage().startsWith("call 2 sends a different request than the one recorded in " + file), e.getMessage());
    }

    @Test
    void theRequestHashIgnoresKeyOrder() throws Exception {
        assertEquals(Exchanges.sha256(Json.MAPPER.readTree("{\"a\": 1, \"b\": {\"c\": [1, {\"d\": 2, \"e\": 3}]}}")),
                Exchanges.sha256(Json.MAPPER.readTree("{\"b\": {\"c\": [1, {\"e\": 3, \"d\": 2}]}, \"a\": 1}")));
        assertTrue(!Exchanges.sha256(Json.MAPPER.readTree("{\"a\": 1}")).equals(Exchanges.sha256(Json.MAPPER.readTree("{\"a\": 2}"))));
    }
}
