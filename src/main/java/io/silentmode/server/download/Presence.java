package io.silentmode.server.download;

import java.util.HashMap;
import java.util.Map;

/**
 * Which agents are connected now, and on which connection, as the registry's events and answers tell the
 * orchestrator: what it needs to pick, without asking, the next pull that can start when a slot frees.
 */
final class Presence {

  private final Map<String, String> connections = new HashMap<>();

  void connected(String clientId, String connectionId) {
    connections.put(clientId, connectionId);
  }

  /** A replaced connection's disconnect, arriving after its successor connected, changes nothing. */
  void disconnected(String clientId, String connectionId) {
    connections.remove(clientId, connectionId);
  }

  boolean isConnected(String clientId) {
    return connections.containsKey(clientId);
  }

  /** The agent's connection, or null when it is not connected. */
  String connectionOf(String clientId) {
    return connections.get(clientId);
  }
}
