package io.silentmode.server.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.silentmode.vertx.VertxInternals;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Who is in the cluster, by node name (NODE_NAME): this node, the live members, and which member just left. One
 * node on its own is a cluster of one, so the code that asks never branches on clustering. Handlers run on the
 * context that registered them, never on a Hazelcast thread.
 */
public final class Membership {

  private final String self;
  private final HazelcastInstance hazelcast;

  private Membership(String self, HazelcastInstance hazelcast) {
    this.self = self;
    this.hazelcast = hazelcast;
  }

  /**
   * The membership of {@code vertx}'s cluster. Fails when another live member already has this node's name: two
   * nodes answering to one name would each take the other's agents and jobs for their own.
   */
  public static Membership of(Vertx vertx, String nodeName) {
    if (!(VertxInternals.clusterManager(vertx) instanceof HazelcastClusterManager manager)) {
      return new Membership(nodeName, null);
    }
    HazelcastInstance hazelcast = manager.getHazelcastInstance();
    long same = hazelcast.getCluster().getMembers().stream().filter(m -> nodeName.equals(name(m))).count();
    if (same > 1) {
      throw new IllegalArgumentException("NODE_NAME " + nodeName + " is taken by another member of the cluster");
    }
    return new Membership(nodeName, hazelcast);
  }

  public String self() {
    return self;
  }

  public boolean clustered() {
    return hazelcast != null;
  }

  /** The live members' names, this node included, sorted. */
  public Set<String> members() {
    Set<String> names = new TreeSet<>();
    if (hazelcast == null) {
      names.add(self);
    } else {
      hazelcast.getCluster().getMembers().forEach(m -> names.add(name(m)));
    }
    return names;
  }

  /**
   * Calls {@code handler} with the name of each member that leaves, gracefully or not, on the caller's context.
   * Returns a handle that stops it.
   */
  public Runnable onMemberLeft(Handler<String> handler) {
    if (hazelcast == null) {
      return () -> { };
    }
    Context context = Vertx.currentContext();
    UUID id = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String name = name(event.getMember());
        context.runOnContext(v -> handler.handle(name));
      }
    });
    return () -> hazelcast.getCluster().removeMembershipListener(id);
  }

  /**
   * What readiness shows: this node, the members, whether this member runs, and whether every partition has its
   * backup (false for a while after a member leaves, on every member at once: shown, not a reason to be unready).
   */
  public JsonObject status() {
    JsonObject status = new JsonObject().put("node", self).put("members", new JsonArray(members().stream().toList()));
    return hazelcast == null ? status : status.put("running", hazelcast.getLifecycleService().isRunning())
      .put("clusterSafe", hazelcast.getPartitionService().isClusterSafe());
  }

  private static String name(Member member) {
    return member.getAttribute(Hazelcast.NODE_ATTRIBUTE);
  }
}
