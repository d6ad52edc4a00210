package org.mtflow.nodes;

import java.util.ArrayList;
import java.util.List;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.nodes.agent.SearchNode;
import org.mtflow.nodes.agent.llm.LlmAgentNode;
import org.mtflow.nodes.data.CsvNode;
import org.mtflow.nodes.data.FashionMnistNode;
import org.mtflow.nodes.data.SplitNode;
import org.mtflow.nodes.data.SubsampleNode;
import org.mtflow.nodes.data.StandardizeNode;
import org.mtflow.nodes.data.SyntheticCheckpointNode;
import org.mtflow.nodes.data.SyntheticNode;
import org.mtflow.nodes.data.TaskNode;
import org.mtflow.nodes.data.TasksNode;
import org.mtflow.nodes.eval.DatasetStatsNode;
import org.mtflow.nodes.eval.MetricsNode;
import org.mtflow.nodes.eval.NormalizedAccuracyNode;
import org.mtflow.nodes.eval.ResultsTableNode;
import org.mtflow.nodes.merge.aware.AdaMergingNode;
import org.mtflow.nodes.merge.aware.FisherMergeNode;
import org.mtflow.nodes.merge.aware.RegMeanMergeNode;
import org.mtflow.nodes.merge.MergeMethods;
import org.mtflow.nodes.merge.MergeNode;
import org.mtflow.nodes.merge.MergeShardNode;
import org.mtflow.nodes.model.HfModelNode;
import org.mtflow.nodes.model.PredictNode;
import org.mtflow.nodes.train.TrainFinetuneNode;
import org.mtflow.nodes.train.TrainFitNode;
import org.mtflow.nodes.train.TrainMultitaskNode;
import org.mtflow.nodes.util.FlakyNode;
import org.mtflow.nodes.util.MapNode;
import org.mtflow.nodes.util.MatmulNode;
import org.mtflow.nodes.util.NoopNode;
import org.mtflow.nodes.util.RandomNode;
import org.mtflow.nodes.util.SleepNode;
import org.mtflow.nodes.util.SumNode;

/** The registry of built-in node types: adding a node type is one class and one line here
 * (a data-free merge method: one class and one line in {@link MergeMethods}). */
public final class BuiltinNodes {
    private BuiltinNodes() {}

    public static List<NodeType<?>> all() {
        List<NodeType<?>> all = new ArrayList<>(List.of(
                new NoopNode(),
                new RandomNode(),
                new SumNode(),
                new SleepNode(),
                new MapNode(),
                new FlakyNode(),
                new MatmulNode(),
                new FashionMnistNode(),
                new CsvNode(),
                new SyntheticNode(),
                new SyntheticCheckpointNode(),
                new StandardizeNode(),
                new SplitNode(),
                new SubsampleNode(),
                new TasksNode(),
                new TaskNode(),
                new DatasetStatsNode(),
                new MetricsNode(),
                new NormalizedAccuracyNode(),
                new ResultsTableNode(),
                new TrainFitNode(),
                new TrainFinetuneNode(),
                new TrainMultitaskNode(),
                new PredictNode(),
                new HfModelNode(),
                new FisherMergeNode(),
                new RegMeanMergeNode(),
                new AdaMergingNode(),
                new SearchNode(),
                new LlmAgentNode(),
                new MergeShardNode()));
        // the data-free methods: one node type per method of the registry
        MergeMethods.all().forEach(m -> all.add(new MergeNode(m)));
        return List.copyOf(all);
    }

    public static NodeCatalog catalog() {
        return new NodeCatalog(all());
    }
}
