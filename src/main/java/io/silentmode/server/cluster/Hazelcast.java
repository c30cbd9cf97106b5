package io.silentmode.server.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Builds the server's Vertx: plain for one node, clustered through vertx-hazelcast for {@code CLUSTER=true}. The
 * Hazelcast configuration starts from vertx-hazelcast's own ({@link ConfigUtil#loadConfig()}, which keeps the maps and
 * multimaps Vert.x needs) and is then pinned down: one interface, a TCP member list, no multicast, no cloud
 * auto-detection, and the node's name as a member attribute so every member knows who left.
 */
public final class Hazelcast {

  /** Member attribute holding the node name (NODE_NAME): what {@link Membership} reports and addresses use. */
  static final String NODE_ATTRIBUTE = "silentmode.node";

  private Hazelcast() {
  }

  public static Future<Vertx> vertx(VertxBuilder builder, ClusterSettings settings, String nodeName) {
    if (!settings.enabled()) {
      return Future.succeededFuture(builder.build());
    }
    Config config = config(settings, nodeName);
    EventBusOptions bus = new EventBusOptions().setHost(settings.host()).setPort(settings.busPort());
    return builder.with(new VertxOptions().setEventBusOptions(bus))
      .withClusterManager(new HazelcastClusterManager(config))
      .buildClustered();
  }

  /** Hazelcast binds interfaces by address: a host name (a pod's, a compose service's) is resolved once, here. */
  private static String address(String host) {
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("CLUSTER_HOST " + host + " does not resolve on this machine");
    }
  }

  static Config config(ClusterSettings settings, String nodeName) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(settings.name());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // A member that has to wait for others finds them on the list below; waiting more only slows a start.
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, nodeName);
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(settings.port()).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).addInterface(address(settings.host()));
    network.setPublicAddress(settings.host() + ":" + settings.port());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(settings.members().isEmpty()
      ? java.util.List.of(settings.host() + ":" + settings.port()) : settings.members());
    return config;
  }
}
