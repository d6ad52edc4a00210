package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.NodeException;
import org.mtflow.nodes.TestSeeds;

class DecisionLogTest {
    @TempDir Path dir;

    private static ObjectNode header(long seed) {
        return Json.MAPPER.createObjectNode().put("event", "search").put("policy", "random").put("seed", seed);
    }

    private static ObjectNode proposal(Candidate c) {
        ObjectNode line = Json.MAPPER.createObjectNode().put("event", "proposed").put("index", c.index());
        line.set("params", Json.MAPPER.valueToTree(c.params()));
        line.set("point", Json.MAPPER.valueToTree(c.point()));
        return line;
    }

    @Test
    void aReplayedSearchMatchesItsRecordAndADifferentProposalIsAnError() throws Exception {
        long seed = TestSeeds.next();
        SearchSpace space = SearchSpace.parse(Json.MAPPER.readTree("{\"x\": {\"range\": [0, 1]}, \"k\": {\"int\": [0, 9]}}"), "space");
        List<Candidate> first = new RandomPolicy(space, seed).propose(List.of(), 4);
        DecisionLog log = DecisionLog.open(dir, header(seed), "s");
        for (Candidate c : first) log.proposed(proposal(c), "s");
        log.observed(Json.MAPPER.createObjectNode().put("event", "observed").put("index", 0).put("seconds", 1.5));
        // a kill mid-write leaves half a line
        Files.writeString(dir.resolve(DecisionLog.FILE), "{\"event\": \"obs", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        DecisionLog resumed = DecisionLog.open(dir, header(seed), "s");
        assertEquals(1.5, resumed.observedBefore(0).path("seconds").asDouble(), "seed=" + seed);
        assertNull(resumed.observedBefore(1));
        for (Candidate c : new RandomPolicy(space, seed).propose(List.of(), 4)) resumed.proposed(proposal(c), "s");
        assertEquals(1 + 4 + 1, Files.readAllLines(dir.resolve(DecisionLog.FILE)).size(), "replays append nothing; the torn line is gone");

        Candidate other = new RandomPolicy(space, seed + 1).propose(List.of(), 3).get(2);
        NodeException e = assertThrows(NodeException.class, () -> resumed.proposed(proposal(other), "s"));
        assertTrue(e.getMessage().contains("on resume the policy proposed candidate 2 as") && e.getMessage().contains("but the run recorded"),
                e.getMessage());
    }

    @Test
    void aLogOfAnotherSearchIsAnError() throws Exception {
        DecisionLog.open(dir, header(1), "s");
        NodeException e = assertThrows(NodeException.class, () -> DecisionLog.open(dir, header(2), "s"));
        assertTrue(e.getMessage().contains("records another search"), e.getMessage());
    }
}
