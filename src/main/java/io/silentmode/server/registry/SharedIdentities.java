package io.silentmode.server.registry;

import io.silentmode.server.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Agents' identities as every node of a cluster must see them. Each registry keeps the agents that dialled it, but
 * an agent enrolled through one node dials any other next, and a revoked one must be refused by all: so the identity
 * ({@link Admission#FIELD}) is also stored on its own, in a record kind every node reads (one table in a shared
 * PostgreSQL), and each change is published to every registry ({@link Addresses#AGENTS_ENROLLMENT}). A server alone
 * goes the same way, to itself.
 */
final class SharedIdentities {

  private static final System.Logger log = System.getLogger(SharedIdentities.class.getName());

  private final Vertx vertx;
  private final String node;

  SharedIdentities(Vertx vertx, String node) {
    this.vertx = vertx;
    this.node = node;
  }

  /** Puts every stored identity on its agent's record, making a record for an agent this node has never seen. */
  Future<Void> load(Map<String, JsonObject> agents) {
    return vertx.eventBus().<JsonArray>request(Addresses.STORE_ENROLLMENT_LOAD, new JsonObject()).map(stored -> {
      stored.body().forEach(r -> {
        JsonObject identity = ((JsonObject) r).copy();
        apply(agents, (String) identity.remove("clientId"), identity);
      });
      return null;
    });
  }

  /** Stores the agent's identity as it is now on its record, then tells every node. */
  void share(JsonObject agent) {
    String clientId = agent.getString("clientId");
    JsonObject identity = agent.getJsonObject(Admission.FIELD);
    vertx.eventBus().request(Addresses.STORE_ENROLLMENT_SAVE, new JsonObject().put("enrollment", identity.copy().put("clientId", clientId)))
      .onSuccess(v -> vertx.eventBus().publish(Addresses.AGENTS_ENROLLMENT,
        new JsonObject().put("clientId", clientId).put("node", node).put("enrollment", identity)))
      .onFailure(e -> log.log(System.Logger.Level.ERROR, "Could not store the identity of agent " + clientId + ": " + e.getMessage()));
  }

  /**
   * Takes a change another node published; {@code changed} gets the record and its new identity (to disconnect a
   * revoked agent connected here). This node's own changes are already on its records.
   */
  void onPublished(Map<String, JsonObject> agents, JsonObject event, BiConsumer<JsonObject, JsonObject> changed) {
    if (!node.equals(event.getString("node"))) {
      JsonObject agent = apply(agents, event.getString("clientId"), event.getJsonObject("enrollment"));
      changed.accept(agent, agent.getJsonObject(Admission.FIELD));
    }
  }

  private static JsonObject apply(Map<String, JsonObject> agents, String clientId, JsonObject identity) {
    // An agent known here by its identity only: its lastSeen is that of its enrollment, so that a node which saw
    // the agent itself has the entry the cluster shows.
    JsonObject agent = agents.computeIfAbsent(clientId, id -> new JsonObject().put("clientId", id).put("connected", false)
      .put("labels", new JsonObject()).put("lastSeen", identity.getString("enrolledAt", Instant.EPOCH.toString())));
    agent.put(Admission.FIELD, identity);
    return agent;
  }
}
