package io.silentmode.server.cluster;

import java.util.List;

/**
 * How a server joins its cluster, or that it runs alone ({@link #single()}). Hazelcast finds the members on a TCP
 * list (multicast and auto-detection off); the event bus carries messages between nodes on a port of its own.
 *
 * @param enabled  CLUSTER: join a Hazelcast cluster
 * @param name     CLUSTER_NAME: only members with the same name join each other
 * @param host     CLUSTER_HOST: the interface Hazelcast and the event bus bind and announce to the other members
 * @param port     CLUSTER_PORT: Hazelcast's member port
 * @param busPort  CLUSTER_BUS_PORT: the clustered event bus' port
 * @param members  CLUSTER_MEMBERS: host:port of members to join through (this node may be among them)
 */
public record ClusterSettings(boolean enabled, String name, String host, int port, int busPort, List<String> members) {

  public ClusterSettings {
    members = List.copyOf(members);
  }

  /** One server on its own: no Hazelcast, a plain event bus. */
  public static ClusterSettings single() {
    return new ClusterSettings(false, "silentmode", "127.0.0.1", 5701, 5702, List.of());
  }
}
