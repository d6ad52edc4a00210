package org.mtflow.cli;

import java.util.concurrent.Callable;
import org.mtflow.dsl.WorkflowSchema;
import org.mtflow.nodes.BuiltinNodes;
import picocli.CommandLine.Command;

@Command(name = "schema", mixinStandardHelpOptions = true,
        description = "Prints the JSON Schema (draft 2020-12) of workflow files, with the params of every node type.")
final class SchemaCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.out.println(WorkflowSchema.toJson(BuiltinNodes.catalog()));
        return Main.OK;
    }
}
