package org.mtflow.engine.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.store.ArtifactRef;

/**
 * The cache key of a task: SHA-256 over the canonical JSON (keys sorted at every level) of its node
 * type and version, task id, params, input hashes and the run seed. Equal keys mean equal outputs:
 * nodes are deterministic given these (their randomness is keyed by seed and task id).
 */
public final class CacheKeys {
    private CacheKeys() {}

    public static String of(String nodeType, int version, String taskId, ObjectNode params,
                            Map<String, List<ArtifactRef>> inputs, long seed) {
        ObjectNode key = Json.MAPPER.createObjectNode();
        key.put("type", nodeType);
        key.put("version", version);
        key.put("task", taskId);
        key.set("params", params);
        ObjectNode in = key.putObject("inputs");
        inputs.forEach((name, refs) -> {
            ArrayNode list = in.putArray(name);
            refs.forEach(r -> list.add(r.sha256()));
        });
        key.put("seed", seed);
        return canonicalSha256(key);
    }

    /** SHA-256 (hex) of a JSON value's canonical form: keys sorted at every level, no spaces. */
    public static String canonicalSha256(JsonNode value) {
        try {
            byte[] canonical = Json.MAPPER.writeValueAsString(sorted(value)).getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) names.add(it.next());
            Collections.sort(names);
            ObjectNode out = Json.MAPPER.createObjectNode();
            for (String n : names) out.set(n, sorted(node.get(n)));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = Json.MAPPER.createArrayNode();
            node.forEach(e -> out.add(sorted(e)));
            return out;
        }
        return node;
    }
}
