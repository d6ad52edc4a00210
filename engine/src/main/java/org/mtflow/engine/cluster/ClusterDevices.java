package org.mtflow.engine.cluster;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.mtflow.engine.run.DeviceWorker;

/**
 * Reports how many device workers the cluster offers each time that changes ("cluster devices: 3"):
 * what this node's coordinators can place tasks on.
 */
public final class ClusterDevices {
    private ClusterDevices() {}

    public static Behavior<Receptionist.Listing> create(Consumer<String> out) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.subscribe(DeviceWorker.SERVICE_KEY, ctx.getSelf()));
            int[] last = {-1};
            return Behaviors.receive(Receptionist.Listing.class)
                    .onMessage(Receptionist.Listing.class, l -> {
                        int n = l.getServiceInstances(DeviceWorker.SERVICE_KEY).size();
                        if (n != last[0]) out.accept("cluster devices: " + n);
                        last[0] = n;
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
