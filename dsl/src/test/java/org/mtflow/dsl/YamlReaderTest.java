package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class YamlReaderTest {

    private static YamlNode.Mapping read(String yaml) throws YamlReader.SyntaxError {
        YamlReader.Result r = YamlReader.read(yaml);
        assertEquals(List.of(), r.errors());
        return (YamlNode.Mapping) r.root();
    }

    @Test
    void keepsLineAndColumnOfKeysAndValuesInBlockAndFlowStyle() throws Exception {
        YamlNode.Mapping root = read("""
                a:
                  - x
                  - {k: v}
                b: [1, [2]]
                """);
        YamlNode.Entry a = root.entry("a").orElseThrow();
        assertEquals(List.of(1, 1), List.of(a.line(), a.column()));
        YamlNode.Seq seq = (YamlNode.Seq) a.value();
        assertEquals(List.of(2, 5), List.of(seq.items().get(0).line(), seq.items().get(0).column()));
        YamlNode.Mapping flow = (YamlNode.Mapping) seq.items().get(1);
        assertEquals(List.of(3, 5), List.of(flow.line(), flow.column()));
        YamlNode.Entry k = flow.entry("k").orElseThrow();
        assertEquals(List.of(3, 6, 3, 9), List.of(k.line(), k.column(), k.value().line(), k.value().column()));
        YamlNode inner = ((YamlNode.Seq) root.get("b").orElseThrow()).items().get(1);
        assertEquals(List.of(4, 8), List.of(inner.line(), inner.column()));
    }

    @Test
    void scalarsKeepTheirYamlType() throws Exception {
        YamlNode.Mapping root = read("""
                s: abc
                q: "12"
                i: 12
                l: 12345678901
                g: 123456789012345678901234567890
                f: 1.5
                t: true
                y: yes
                n: null
                e:
                z: ''
                """);
        assertInstanceOf(TextNode.class, root.get("s").orElseThrow().toJson());
        assertEquals(new TextNode("12"), root.get("q").orElseThrow().toJson());
        assertInstanceOf(IntNode.class, root.get("i").orElseThrow().toJson());
        assertInstanceOf(LongNode.class, root.get("l").orElseThrow().toJson());
        assertInstanceOf(BigIntegerNode.class, root.get("g").orElseThrow().toJson());
        assertEquals(new DoubleNode(1.5), root.get("f").orElseThrow().toJson());
        assertEquals(BooleanNode.TRUE, root.get("t").orElseThrow().toJson());
        assertEquals(new TextNode("yes"), root.get("y").orElseThrow().toJson(), "only true/false are booleans");
        assertEquals(NullNode.instance, root.get("n").orElseThrow().toJson());
        assertEquals(NullNode.instance, root.get("e").orElseThrow().toJson());
        assertEquals(new TextNode(""), root.get("z").orElseThrow().toJson());
    }

    @Test
    void reportsEveryAliasAndDuplicateKeyAndGoesOn() throws Exception {
        YamlReader.Result r = YamlReader.read("""
                a: &x 1
                b: *x
                c: {d: 1, d: 2}
                e: *x
                """);
        assertEquals(List.of(
                new Diagnostic(2, 4, "aliases are not supported; write the value out in full"),
                new Diagnostic(3, 11, "duplicate key 'd'"),
                new Diagnostic(4, 4, "aliases are not supported; write the value out in full")), r.errors());
        assertEquals(List.of("a", "b", "c", "e"),
                ((YamlNode.Mapping) r.root()).entries().stream().map(YamlNode.Entry::key).toList());
    }

    @Test
    void locateWalksAPathAsFarAsItExists() throws Exception {
        YamlNode.Mapping root = read("""
                tasks:
                  b:
                    inputs: {values: [a.x, a.y]}
                """);
        assertEquals(List.of(3, 28), box(YamlNode.locate(root, List.of("tasks", "b", "inputs", "values", 1))));
        assertEquals(List.of(3, 14), box(YamlNode.locate(root, List.of("tasks", "b", "inputs", "values"))));
        assertEquals(List.of(2, 3), box(YamlNode.locate(root, List.of("tasks", "b", "with", "shape"))));
        assertEquals(List.of(3, 14), box(YamlNode.locate(root, List.of("tasks", "b", "inputs", "values", 7))));
        assertEquals(List.of(1, 1), box(YamlNode.locate(root, List.of())));
    }

    @Test
    void syntaxErrorsNameTheirPlace() {
        YamlReader.SyntaxError e = org.junit.jupiter.api.Assertions.assertThrows(YamlReader.SyntaxError.class,
                () -> YamlReader.read("a: b: c\n"));
        assertEquals(new Diagnostic(1, 5, "invalid YAML: mapping values are not allowed here"), e.diagnostic);
        e = org.junit.jupiter.api.Assertions.assertThrows(YamlReader.SyntaxError.class, () -> YamlReader.read("a: \"x\n"));
        assertTrue(e.diagnostic.text().startsWith("invalid YAML: "), e.diagnostic.text());
        assertTrue(!e.diagnostic.text().contains("Exception"), e.diagnostic.text());
    }

    private static List<Integer> box(int[] at) {
        return List.of(at[0], at[1]);
    }
}
