package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mtflow.dsl.WorkflowLoaderTest.load;

import org.junit.jupiter.api.Test;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.WorkflowSpec;

class GraphWriterTest {
    /** A diamond (src feeds left and right, both feed join) and a merge that needs 1 of 2. */
    static final String DIAMOND = """
            name: "diamond \\"x\\""
            tasks:
              src:   {type: t.source, with: {shape: [2]}}
              left:  {type: t.noop, inputs: {x: src.tensor}}
              right: {type: t.sum, inputs: {values: [src.tensor]}}
              join:  {type: t.sum, inputs: {values: {from: [right.tensor, src.tensor], min-success: 1}}}
              last-1: {type: t.any, inputs: {in: [left.out, join.tensor]}}
            """;

    @Test
    void dotHasEveryTaskAndOneEdgePerReference() throws SpecException {
        assertEquals("""
                digraph "diamond \\"x\\"" {
                  rankdir=LR;
                  node [shape=box];
                  "src" [label="src\\nt.source"];
                  "left" [label="left\\nt.noop"];
                  "right" [label="right\\nt.sum"];
                  "join" [label="join\\nt.sum"];
                  "last-1" [label="last-1\\nt.any"];
                  "src" -> "left" [label="x: tensor"];
                  "src" -> "right" [label="values: tensor"];
                  "right" -> "join" [label="values: tensor (1 of 2 needed)", style=dashed];
                  "src" -> "join" [label="values: tensor (1 of 2 needed)", style=dashed];
                  "left" -> "last-1" [label="in: out"];
                  "join" -> "last-1" [label="in: tensor"];
                }
                """, GraphWriter.write(load(DIAMOND), GraphWriter.Format.DOT));
    }

    @Test
    void mermaidUsesNeutralIdsAndDashesPartialEdges() throws SpecException {
        assertEquals("""
                ---
                title: "diamond \\"x\\""
                ---
                flowchart LR
                  t0["src<br/>t.source"]
                  t1["left<br/>t.noop"]
                  t2["right<br/>t.sum"]
                  t3["join<br/>t.sum"]
                  t4["last-1<br/>t.any"]
                  t0 -->|"x: tensor"| t1
                  t0 -->|"values: tensor"| t2
                  t2 -.->|"values: tensor (1 of 2 needed)"| t3
                  t0 -.->|"values: tensor (1 of 2 needed)"| t3
                  t1 -->|"in: out"| t4
                  t3 -->|"in: tensor"| t4
                """, GraphWriter.write(load(DIAMOND), GraphWriter.Format.MERMAID));
    }

    /** The merge example: three producers, edges of partial lists dashed, a full list not. */
    @Test
    void edgesFollowTheInputsInOrder() throws SpecException {
        WorkflowSpec spec = load(WorkflowLoaderTest.MERGE);
        String dot = GraphWriter.dot(spec);
        long edges = dot.lines().filter(l -> l.contains(" -> ")).count();
        long refs = spec.tasks().stream().flatMap(t -> t.inputs().values().stream()).mapToLong(b -> b.refs().size()).sum();
        assertEquals(refs, edges);
        assertEquals(3 + 2 + 1 + 3 + 2, edges);
        assertEquals(3 + 3 + 2, dot.lines().filter(l -> l.contains("style=dashed")).count(), dot);
        assertEquals(dot, GraphWriter.dot(load(WorkflowWriter.toYaml(spec))), "same spec, same text");
    }
}
