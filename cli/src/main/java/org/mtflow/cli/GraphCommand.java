package org.mtflow.cli;

import java.util.Optional;
import java.util.concurrent.Callable;
import org.mtflow.dsl.GraphWriter;
import org.mtflow.dsl.LoadedWorkflow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "graph", mixinStandardHelpOptions = true,
        description = "Prints a workflow's task graph (tasks and the outputs that feed each) as Graphviz DOT or Mermaid.",
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:the graph was printed", "2:the workflow is invalid"})
final class GraphCommand implements Callable<Integer> {

    @Mixin
    WorkflowFileArgs workflow;

    @Option(names = "--format", paramLabel = "dot|mermaid", defaultValue = "dot", converter = FormatConverter.class,
            description = "dot (Graphviz: mtflow graph FILE | dot -Tsvg > graph.svg) or mermaid; default ${DEFAULT-VALUE}")
    GraphWriter.Format format;

    @Override
    public Integer call() {
        // No device check: drawing the graph runs nothing.
        Optional<LoadedWorkflow> w = workflow.load(null);
        if (w.isEmpty()) return Main.INVALID;
        System.out.print(GraphWriter.write(w.get().spec(), format));
        return Main.OK;
    }

    /** Accepts the formats in lower case, as the help writes them. */
    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<GraphWriter.Format> {
        @Override
        public GraphWriter.Format convert(String value) {
            for (GraphWriter.Format f : GraphWriter.Format.values()) {
                if (f.name().equalsIgnoreCase(value)) return f;
            }
            throw new picocli.CommandLine.TypeConversionException("unknown format '" + value + "': use dot or mermaid");
        }
    }
}
