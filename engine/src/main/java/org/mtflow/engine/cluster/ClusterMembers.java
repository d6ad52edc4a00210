package org.mtflow.engine.cluster;

import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Reports the cluster's membership as it changes, one line per change ("member up: ADDRESS
 * [roles] (3 up)", "member unreachable: …", "member removed: …"), so an operator sees nodes join,
 * fail and leave; the node command prints these lines.
 */
public final class ClusterMembers {
    private ClusterMembers() {}

    /** The events this actor receives: Pekko's cluster events, through its subscription. */
    public static Behavior<ClusterEvent.ClusterDomainEvent> create(Consumer<String> out) {
        return Behaviors.setup(ctx -> {
            Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.ClusterDomainEvent.class));
            TreeSet<String> up = new TreeSet<>();
            return Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
                    .onMessage(ClusterEvent.MemberUp.class, e -> {
                        up.add(e.member().address().toString());
                        out.accept("member up: " + describe(e.member()) + " (" + up.size() + " up)");
                        return Behaviors.same();
                    })
                    .onMessage(ClusterEvent.UnreachableMember.class, e -> {
                        out.accept("member unreachable: " + describe(e.member()));
                        return Behaviors.same();
                    })
                    .onMessage(ClusterEvent.ReachableMember.class, e -> {
                        out.accept("member reachable again: " + describe(e.member()));
                        return Behaviors.same();
                    })
                    .onMessage(ClusterEvent.MemberDowned.class, e -> {
                        out.accept("member downed: " + describe(e.member()));
                        return Behaviors.same();
                    })
                    .onMessage(ClusterEvent.MemberRemoved.class, e -> {
                        up.remove(e.member().address().toString());
                        out.accept("member removed: " + describe(e.member()) + " (" + up.size() + " up)");
                        return Behaviors.same();
                    })
                    .onAnyMessage(e -> Behaviors.same())
                    .build();
        });
    }

    private static String describe(Member m) {
        TreeSet<String> roles = new TreeSet<>(m.getRoles());
        roles.remove("dc-default"); // Pekko's data-centre role: on every member, says nothing
        return m.address() + (roles.isEmpty() ? "" : " " + roles);
    }
}
