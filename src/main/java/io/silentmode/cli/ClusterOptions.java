package io.silentmode.cli;

import io.silentmode.server.cluster.ClusterSettings;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/** How a server joins a cluster: flags, environment variables and defaults (the table in README.md). */
public class ClusterOptions {

  @Option(names = "--cluster", defaultValue = "${env:CLUSTER:-false}", description = "Join a Hazelcast cluster of servers (CLUSTER, default ${DEFAULT-VALUE}).")
  boolean cluster;

  @Option(names = "--cluster-name", defaultValue = "${env:CLUSTER_NAME:-silentmode}", description = "Only servers with the same name form a cluster (CLUSTER_NAME, default ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--cluster-host", defaultValue = "${env:CLUSTER_HOST:-127.0.0.1}", description = "This node's address (IP or host name) as the other members reach it, for Hazelcast and the event bus (CLUSTER_HOST, default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--cluster-port", defaultValue = "${env:CLUSTER_PORT:-5701}", description = "Hazelcast member port (CLUSTER_PORT, default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--cluster-bus-port", defaultValue = "${env:CLUSTER_BUS_PORT:-5702}", description = "Port of the clustered event bus (CLUSTER_BUS_PORT, default ${DEFAULT-VALUE}).")
  int busPort;

  @Option(names = "--cluster-members", defaultValue = "${env:CLUSTER_MEMBERS:-}", description = "Comma-separated host:port of members to join through; empty means this node only (CLUSTER_MEMBERS).")
  String members;

  @Option(names = "--node-name", defaultValue = "${env:NODE_NAME:-}", description = "This server's name in the cluster, its metrics and its agents' records; unique per cluster (NODE_NAME, default the host name).")
  String nodeName;

  ClusterSettings toSettings() {
    if (host.isBlank()) {
      throw new IllegalArgumentException("CLUSTER_HOST must name this machine as the other members reach it");
    }
    if (port < 1 || port > 65535 || busPort < 0 || busPort > 65535) {
      throw new IllegalArgumentException("CLUSTER_PORT must be a port number and CLUSTER_BUS_PORT a port number or 0");
    }
    List<String> list = Arrays.stream(members.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String member : list) {
      if (!member.matches("[^:\\s]+:\\d{1,5}")) {
        throw new IllegalArgumentException("CLUSTER_MEMBERS must be host:port,host:port,...; '" + member + "' is not");
      }
    }
    return new ClusterSettings(cluster, name, host, port, busPort, list);
  }

  /** NODE_NAME, or the host name: used in event-bus addresses and metric labels, so it keeps to a safe alphabet. */
  String nodeName() {
    String name = nodeName == null || nodeName.isBlank() ? hostName() : nodeName.trim();
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("NODE_NAME must be 1 to 64 letters, digits, '.', '_' or '-'");
    }
    return name;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
    } catch (UnknownHostException e) {
      return "silentmode";
    }
  }
}
