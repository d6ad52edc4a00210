package org.mtflow.engine.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.mtflow.engine.store.ArtifactRef;

/**
 * A cluster node's way to its cluster's {@link RunRegistry}, wherever the singleton is: submit,
 * locate and cancel runs. Each call waits up to {@link #ASK_FOR}; while the registry moves to
 * another node (its node was lost) it answers {@link RunRegistry.Refused} 503, "try again".
 */
public final class ClusterRuns {
    static final Duration ASK_FOR = Duration.ofSeconds(10);

    private final Engine engine;
    private final ActorRef<RunRegistry.Command> registry;
    private final ActorSystem<?> system;

    ClusterRuns(Engine engine, ActorRef<RunRegistry.Command> registry, ActorSystem<?> system) {
        this.engine = engine;
        this.registry = registry;
        this.system = system;
    }

    /** Stores the spec here, where the registry fetches it, and asks the registry to run it. */
    public RunRegistry.Reply submit(RunOptions options) throws IOException {
        byte[] text = options.specText().getBytes(StandardCharsets.UTF_8);
        ArtifactRef spec = engine.store().write(out -> out.write(text));
        RunOptions bare = new RunOptions(options.runId(), "", options.useCache(), options.maxConcurrency(),
                options.maxSpawned(), options.maxSpawnDepth());
        String here = engine.server().base().toString();
        // Fetching a big spec and journaling it may take longer than a lookup.
        return ask(r -> new RunRegistry.Submit(bare, spec, here, r), ASK_FOR.multipliedBy(3));
    }

    public RunRegistry.Reply locate(String runId) {
        return ask(r -> new RunRegistry.Locate(runId, r), ASK_FOR);
    }

    public RunRegistry.Reply cancel(String runId, String reason) {
        return ask(r -> new RunRegistry.Cancel(runId, reason, r), ASK_FOR);
    }

    private RunRegistry.Reply ask(Function<ActorRef<RunRegistry.Reply>, RunRegistry.Command> message, Duration within) {
        CompletionStage<RunRegistry.Reply> answer = AskPattern.ask(registry, message::apply, within, system.scheduler());
        try {
            return answer.toCompletableFuture().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TimeoutException) {
                return new RunRegistry.Refused(503, "the cluster's run registry did not answer within " + within.toSeconds()
                        + " s (it moves to another node when its node is lost); try again");
            }
            throw e;
        }
    }
}
