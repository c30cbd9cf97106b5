package io.silentmode.server.gateway;

import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/**
 * How many agent WebSockets this node holds, in all and per remote address (MAX_AGENT_CONNECTIONS and
 * MAX_AGENT_CONNECTIONS_PER_ADDRESS): one peer can no longer open sockets until the node runs out of them. Many
 * shops behind one NAT share an address, so that bound is generous. Used on the gateway's event loop.
 */
final class AgentConnectionLimits {

  private static final System.Logger log = System.getLogger(AgentConnectionLimits.class.getName());

  private final Vertx vertx;
  private final int max;
  private final int maxPerAddress;
  private final Map<String, Integer> perAddress = new HashMap<>();
  private int open;

  AgentConnectionLimits(Vertx vertx, int max, int maxPerAddress) {
    this.vertx = vertx;
    this.max = max;
    this.maxPerAddress = maxPerAddress;
  }

  /**
   * Takes a place for the WebSocket, or closes it at once with 1013 (try again later), before any REGISTER, and
   * tells {@link Addresses#GATEWAY_REFUSED}.
   */
  boolean admit(ServerWebSocket ws) {
    String address = ws.remoteAddress().hostAddress();
    String refusal = admit(address);
    if (refusal == null) {
      return true;
    }
    log.log(System.Logger.Level.WARNING, "Refusing an agent connection from " + address + ": " + refusal);
    vertx.eventBus().publish(Addresses.GATEWAY_REFUSED, new JsonObject().put("reason", "limit"));
    ws.close(Protocol.CLOSE_TRY_AGAIN_LATER, "too many connections");
    return false;
  }

  /** Takes a place for a connection from {@code address}; null if it got one, else why not. */
  private String admit(String address) {
    if (open >= max) {
      return "this node holds MAX_AGENT_CONNECTIONS (" + max + ") agent connections";
    }
    int from = perAddress.getOrDefault(address, 0);
    if (from >= maxPerAddress) {
      return "this address holds MAX_AGENT_CONNECTIONS_PER_ADDRESS (" + maxPerAddress + ") agent connections";
    }
    open++;
    perAddress.put(address, from + 1);
    return null;
  }

  /** Gives back the place of a connection admitted from {@code address}. */
  void release(String address) {
    open--;
    perAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
  }
}
