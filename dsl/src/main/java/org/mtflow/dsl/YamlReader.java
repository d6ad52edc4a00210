package org.mtflow.dsl;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads YAML text into a {@link YamlNode} tree with positions, from Jackson's YAML token stream.
 * Aliases and duplicate keys are reported (reading goes on, so every such error is found); an
 * anchor alone is harmless and ignored. A syntax error stops reading.
 */
final class YamlReader {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            // YAML 1.2 booleans: only true/false; "on", "yes", "no" stay strings (the Norway problem).
            .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
            // "key:" with nothing after it is a null (a quoted "" stays an empty string).
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            .disable(YAMLParser.Feature.EMPTY_DOCUMENT_AS_EMPTY_OBJECT)
            .build();

    /** A syntax error: reading cannot go on. */
    static final class SyntaxError extends Exception {
        final Diagnostic diagnostic;

        SyntaxError(Diagnostic diagnostic) {
            super(diagnostic.text());
            this.diagnostic = diagnostic;
        }
    }

    /**
     * The tree (null for an empty document), the non-fatal errors found while reading, and where
     * aliases stood (the tree holds a null there, which would only draw more errors).
     */
    record Result(YamlNode root, List<Diagnostic> errors, List<YamlNode> aliases) {}

    private final YAMLParser parser;
    private final List<Diagnostic> errors = new ArrayList<>();
    private final List<YamlNode> aliases = new ArrayList<>();

    private YamlReader(YAMLParser parser) {
        this.parser = parser;
    }

    /** As {@link #read}, a syntax error thrown as the file's one problem. */
    static Result read(String text, String fileName) throws org.mtflow.engine.spec.SpecException {
        try {
            return read(text);
        } catch (SyntaxError e) {
            throw new org.mtflow.engine.spec.SpecException(List.of(e.diagnostic.format(fileName)));
        }
    }

    static Result read(String text) throws SyntaxError {
        try (YAMLParser p = FACTORY.createParser(text)) {
            YamlReader r = new YamlReader(p);
            JsonToken first = p.nextToken();
            YamlNode root = first == null ? null : r.value(first);
            if (root != null && p.nextToken() != null) {
                r.errors.add(r.here("only one YAML document per file is supported"));
            }
            return new Result(root, List.copyOf(r.errors), List.copyOf(r.aliases));
        } catch (JsonProcessingException e) {
            throw new SyntaxError(syntaxError(e));
        } catch (IOException e) {
            // Reading from a String: only a parse problem can get here.
            throw new SyntaxError(new Diagnostic(1, 1, "cannot read YAML: " + e.getMessage()));
        }
    }

    private YamlNode value(JsonToken t) throws IOException {
        JsonLocation at = parser.currentTokenLocation();
        int line = at.getLineNr(), col = at.getColumnNr();
        if (parser.isCurrentAlias()) {
            errors.add(new Diagnostic(line, col, "aliases are not supported; write the value out in full"));
            YamlNode stand = new YamlNode.Scalar(NODES.nullNode(), line, col);
            aliases.add(stand);
            return stand;
        }
        String tag = parser.getTypeId();
        if (tag != null && !CORE_TAGS.contains(tag)) {
            // Nothing here ever creates an object from a tag; say so rather than read it as plain text.
            errors.add(new Diagnostic(line, col, "YAML tags such as '" + shortTag(tag) + "' are not supported;"
                    + " write a plain value (mtflow reads only maps, lists, strings, numbers, booleans and null)"));
        }
        switch (t) {
            case START_OBJECT: {
                List<YamlNode.Entry> entries = new ArrayList<>();
                Set<String> keys = new HashSet<>();
                for (JsonToken k = parser.nextToken(); k != JsonToken.END_OBJECT; k = parser.nextToken()) {
                    JsonLocation kAt = parser.currentTokenLocation();
                    String key = parser.currentName();
                    YamlNode v = value(parser.nextToken());
                    if (!keys.add(key)) {
                        errors.add(new Diagnostic(kAt.getLineNr(), kAt.getColumnNr(), "duplicate key '" + key + "'"));
                    } else {
                        entries.add(new YamlNode.Entry(key, kAt.getLineNr(), kAt.getColumnNr(), v));
                    }
                }
                return new YamlNode.Mapping(entries, line, col);
            }
            case START_ARRAY: {
                List<YamlNode> items = new ArrayList<>();
                for (JsonToken i = parser.nextToken(); i != JsonToken.END_ARRAY; i = parser.nextToken()) {
                    items.add(value(i));
                }
                return new YamlNode.Seq(items, line, col);
            }
            default:
                return new YamlNode.Scalar(scalar(t), line, col);
        }
    }

    /** The YAML core schema's own tags (!!str, !!int…): they only say what the value is anyway. */
    private static final Set<String> CORE_TAGS = Set.of("str", "int", "float", "bool", "null", "seq", "map")
            .stream().flatMap(t -> java.util.stream.Stream.of("tag:yaml.org,2002:" + t, "!!" + t))
            .collect(java.util.stream.Collectors.toUnmodifiableSet());

    private static String shortTag(String tag) {
        if (tag.startsWith("tag:yaml.org,2002:")) return "!!" + tag.substring("tag:yaml.org,2002:".length());
        return tag.startsWith("!") || tag.contains(":") ? tag : "!" + tag; // the parser drops a local tag's '!'
    }

    private JsonNode scalar(JsonToken t) throws IOException {
        switch (t) {
            case VALUE_STRING:
                return NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT: {
                // Always the narrowest of int/long/BigInteger, so equal values give equal nodes.
                BigInteger v = parser.getBigIntegerValue();
                if (v.bitLength() < 32) return NODES.numberNode(v.intValue());
                if (v.bitLength() < 64) return NODES.numberNode(v.longValue());
                return NODES.numberNode(v);
            }
            case VALUE_NUMBER_FLOAT: {
                double v = parser.getDoubleValue();
                if (!Double.isFinite(v)) {
                    errors.add(here("number out of range: " + parser.getText()));
                    return NODES.nullNode();
                }
                return NODES.numberNode(v);
            }
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                // Binary (!!binary) and other embedded values: keep their text.
                return NODES.textNode(parser.getText());
        }
    }

    private Diagnostic here(String text) {
        JsonLocation at = parser.currentTokenLocation();
        return new Diagnostic(at.getLineNr(), at.getColumnNr(), text);
    }

    /** The parser's own problem and place, without exception class names or the echoed snippet. */
    private static Diagnostic syntaxError(JsonProcessingException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
                String context = m.getContext() == null ? "" : " (" + m.getContext() + ")";
                return new Diagnostic(m.getProblemMark().getLine() + 1, m.getProblemMark().getColumn() + 1,
                        "invalid YAML: " + m.getProblem() + context);
            }
        }
        JsonLocation at = e.getLocation();
        int line = at == null || at.getLineNr() < 1 ? 1 : at.getLineNr();
        int col = at == null || at.getColumnNr() < 1 ? 1 : at.getColumnNr();
        return new Diagnostic(line, col, "invalid YAML: " + e.getOriginalMessage());
    }
}
