package io.silentmode.server.registry;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Knows which agents exist: connected ones with their connection, and recently seen ones (kept in the store, so
 * a pull for an agent that is offline while the server restarts can still be queued).
 * It pings every agent each heartbeat interval and drops one silent for {@link #MISSED_HEARTBEATS} intervals.
 * A second connection with the same client id replaces the first, which is closed with a reason, once it has proven
 * to be that agent ({@link Admission}); the registry keeps each enrolled agent's public key and nothing secret.
 */
public class RegistryVerticle extends VerticleBase {

  static final int MISSED_HEARTBEATS = 3;
  private static final System.Logger log = System.getLogger(RegistryVerticle.class.getName());

  private final ServerConfig config;
  private SharedIdentities identities;
  /** By client id, in its order (the list's pages follow it); a disconnected agent stays with {@code connected: false}. */
  private final NavigableMap<String, JsonObject> agents = new TreeMap<>();
  /** Writes the known agents to the store, a change at a time at most every 100 ms. */
  private AgentListWriter writer;

  public RegistryVerticle(ServerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    identities = new SharedIdentities(vertx, config.nodeName());
    writer = new AgentListWriter(vertx, agents.values());
    return bus.<JsonArray>request(Addresses.STORE_CLIENT_LOAD, new JsonObject()).compose(stored -> {
      restore(stored.body());
      return identities.load(agents);
    }).compose(v -> {
      vertx.setPeriodic(config.heartbeatInterval(), id -> heartbeat());
      return listen(bus);
    });
  }

  private void restore(JsonArray stored) {
    Instant horizon = Instant.now().minusMillis(config.jobRetention());
    for (int i = 0; i < stored.size(); i++) {
      JsonObject agent = stored.getJsonObject(i);
      if (agent.getBoolean("connected")) {
        agent.put("connected", false).put("disconnectedAt", agent.getString("lastSeen"));
      }
      if (agent.getJsonObject("labels") == null) {
        agent.put("labels", new JsonObject()); // recorded before agents had labels
      }
      // An enrolled (or revoked) agent is kept however long it stays away: its key, or its ban, must not expire.
      if (agent.getJsonObject(Admission.FIELD) != null || Instant.parse(agent.getString("lastSeen")).isAfter(horizon)) {
        agents.put(agent.getString("clientId"), agent);
      }
    }
  }

  private Future<?> listen(EventBus bus) {
    return Future.all(List.of(
      bus.<JsonObject>localConsumer(Addresses.REGISTRY_REGISTER, this::register).completion(),
      bus.<JsonObject>localConsumer(Addresses.REGISTRY_SEEN, this::seen).completion(),
      bus.<JsonObject>localConsumer(Addresses.REGISTRY_UNREGISTER, this::unregister).completion(),
      bus.<JsonObject>consumer(Addresses.onNode(Addresses.REGISTRY_GET, config.nodeName()), this::get).completion(),
      bus.<JsonObject>consumer(Addresses.onNode(Addresses.REGISTRY_LIST, config.nodeName()), this::list).completion(),
      bus.<JsonObject>localConsumer(Addresses.REGISTRY_REVOKE, this::revoke).completion(),
      bus.<JsonObject>localConsumer(Addresses.REGISTRY_REENROLL, this::reenroll).completion(),
      bus.<JsonObject>consumer(Addresses.AGENTS_CONNECTED, m -> connectedElsewhere(m.body())).completion(),
      bus.<JsonObject>consumer(Addresses.AGENTS_ENROLLMENT, m -> identities.onPublished(agents, m.body(), this::identityChanged)).completion()));
  }

  /**
   * Admits a REGISTER once it has proven its identity. The signature is checked on a worker, several at once: a
   * reconnect storm of 20,000 agents would otherwise hold this event loop for about ten seconds. What changed
   * meanwhile (a revocation, another connection's enrollment) is weighed again before the agent is registered.
   */
  private void register(Message<JsonObject> m) {
    JsonObject r = m.body();
    Admission.Decision decision = Admission.decide(agents.get(r.getString("clientId")), r, config.allowUnenrolled());
    if (decision.refusal() != null || decision.key() == null) {
      admit(m, decision.refusal());
      return;
    }
    vertx.executeBlocking(() -> Admission.proofRefusal(decision.key(), r), false).onComplete(checked -> {
      Admission.Refusal refusal = checked.succeeded() ? checked.result()
        : new Admission.Refusal(ErrorCode.INTERNAL_ERROR, "cannot check the proof: " + checked.cause());
      Admission.Decision now = Admission.decide(agents.get(r.getString("clientId")), r, config.allowUnenrolled());
      if (refusal == null && now.refusal() != null) {
        refusal = now.refusal();
      } else if (refusal == null && !decision.key().equals(now.key())) {
        refusal = new Admission.Refusal(ErrorCode.AGENT_AUTH_FAILED, "the agent's key changed while its proof was checked");
      }
      admit(m, refusal);
    });
  }

  private void admit(Message<JsonObject> m, Admission.Refusal refusal) {
    if (refusal != null) {
      m.fail(refusal.code().busCode(), refusal.message());
      return;
    }
    JsonObject r = m.body();
    String clientId = r.getString("clientId");
    JsonObject previous = agents.get(clientId);
    String publicKey = (String) r.remove("publicKey");
    r.remove("nonce");
    r.remove("proof");
    r.remove("tokenValid");
    JsonObject enrollment = previous == null ? null : previous.getJsonObject(Admission.FIELD);
    // The same key enrolled again (its REGISTER_ACK was lost) is taken again, and keeps its first enrolledAt.
    boolean enrolled = publicKey != null && (enrollment == null || enrollment.getString("publicKey") == null);
    if (enrolled) {
      enrollment = new JsonObject().put("status", Admission.ENROLLED).put("publicKey", publicKey)
        .put("enrolledAt", Instant.now().toString());
    }
    if (previous != null && previous.getBoolean("connected")) {
      log.log(System.Logger.Level.WARNING, "Agent " + clientId + " connected again from " + r.getString("remoteAddress")
        + "; closing its previous connection from " + previous.getString("remoteAddress"));
      closeConnection(previous, "replaced by a newer connection with the same clientId");
      publish("disconnected", previous);
    }
    String now = Instant.now().toString();
    JsonObject agent = r.copy().put("connected", true).put("connectedAt", now).put("lastSeen", now).put("node", config.nodeName());
    if (enrollment != null) {
      agent.put(Admission.FIELD, enrollment);
    }
    agents.put(clientId, agent);
    if (enrolled) {
      identities.share(agent);
    }
    publish("connected", agent);
    vertx.eventBus().publish(Addresses.AGENTS_CONNECTED, new JsonObject().put("clientId", clientId).put("node", config.nodeName()));
    writer.changed();
    m.reply(agent, new DeliveryOptions().addHeader("enrolled", String.valueOf(publicKey != null)));
  }

  /** The agent may not register again, and its connection, if any, is closed now. */
  private void revoke(Message<JsonObject> m) {
    JsonObject agent = known(m);
    if (agent != null) {
      JsonObject enrollment = agent.getJsonObject(Admission.FIELD, new JsonObject());
      agent.put(Admission.FIELD, enrollment.put("status", Admission.REVOKED).put("revokedAt", Instant.now().toString()));
      log.log(System.Logger.Level.WARNING, "Agent " + agent.getString("clientId") + " revoked");
      identities.share(agent);
      disconnect(agent, ErrorCode.AGENT_REVOKED, "revoked by an operator");
      m.reply(agent.copy());
    }
  }

  /** Forgets the agent's key and lifts a revocation: it may enroll again, with the enrollment token. */
  private void reenroll(Message<JsonObject> m) {
    JsonObject agent = known(m);
    if (agent != null) {
      agent.put(Admission.FIELD, new JsonObject().put("status", Admission.OPEN).put("reopenedAt", Instant.now().toString()));
      identities.share(agent);
      disconnect(agent, ErrorCode.AGENT_NOT_ENROLLED, "an operator asked it to enroll again");
      m.reply(agent.copy());
    }
  }

  /** Another node enrolled, revoked or re-enrolled an agent: one connected here is refused from now on too. */
  private void identityChanged(JsonObject agent, JsonObject identity) {
    String status = identity.getString("status");
    if (Admission.REVOKED.equals(status)) {
      disconnect(agent, ErrorCode.AGENT_REVOKED, "revoked by an operator");
    } else if (Admission.OPEN.equals(status)) {
      disconnect(agent, ErrorCode.AGENT_NOT_ENROLLED, "an operator asked it to enroll again");
    } else {
      writer.changed();
    }
  }

  private JsonObject known(Message<JsonObject> m) {
    JsonObject agent = agents.get(m.body().getString("clientId"));
    if (agent == null) {
      m.fail(ErrorCode.CLIENT_NOT_FOUND.busCode(), "no agent with clientId '" + m.body().getString("clientId")
        + "' is known to this server");
    }
    return agent;
  }

  private void disconnect(JsonObject agent, ErrorCode code, String why) {
    if (agent.getBoolean("connected")) {
      vertx.eventBus().send(Addresses.gatewayConnection(agent.getString("connectionId")), new JsonObject()
        .put("close", code.name()).put("closeCode", Protocol.closeCode(code))
        .put("error", Protocol.error(null, code, "agent " + agent.getString("clientId") + " " + why)));
      markDisconnected(agent);
    } else {
      writer.changed();
    }
  }

  /** The agent registered on another node: a connection still held here is a dead one. */
  private void connectedElsewhere(JsonObject event) {
    JsonObject agent = agents.get(event.getString("clientId"));
    if (!config.nodeName().equals(event.getString("node")) && agent != null && agent.getBoolean("connected")) {
      closeConnection(agent, "connected to node " + event.getString("node"));
      markDisconnected(agent);
    }
  }

  private void seen(Message<JsonObject> m) {
    JsonObject agent = current(m.body());
    if (agent != null) {
      agent.put("lastSeen", Instant.now().toString());
    }
  }

  private void unregister(Message<JsonObject> m) {
    JsonObject agent = current(m.body());
    if (agent != null) {
      markDisconnected(agent);
    }
  }

  private void get(Message<JsonObject> m) {
    JsonObject agent = agents.get(m.body().getString("clientId"));
    if (agent == null) {
      m.fail(ErrorCode.CLIENT_NOT_FOUND.busCode(), "no agent with clientId '" + m.body().getString("clientId")
        + "' has connected to this server within JOB_RETENTION");
    } else {
      m.reply(agent.copy());
    }
  }

  private void list(Message<JsonObject> m) {
    try {
      m.reply(AgentPages.page(agents, m.body()));
    } catch (IllegalArgumentException e) {
      m.fail(ErrorCode.VALIDATION_FAILED.busCode(), e.getMessage());
    }
  }

  /** Pings every connected agent, and drops those whose last traffic is older than the allowed misses. */
  private void heartbeat() {
    long deadline = System.currentTimeMillis() - MISSED_HEARTBEATS * config.heartbeatInterval();
    JsonObject ping = Protocol.message(MessageType.PING).put("timestamp", Instant.now().toString());
    for (JsonObject agent : agents.values()) {
      if (!agent.getBoolean("connected")) {
        continue;
      }
      if (Instant.parse(agent.getString("lastSeen")).toEpochMilli() < deadline) {
        log.log(System.Logger.Level.WARNING, "Agent " + agent.getString("clientId") + " missed "
          + MISSED_HEARTBEATS + " heartbeats; dropping it");
        closeConnection(agent, "missed " + MISSED_HEARTBEATS + " heartbeats");
        markDisconnected(agent);
      } else {
        vertx.eventBus().send(Addresses.gatewayConnection(agent.getString("connectionId")), ping);
      }
    }
  }

  /** The entry of a connected agent if the message comes from its current connection, else null. */
  private JsonObject current(JsonObject from) {
    JsonObject agent = agents.get(from.getString("clientId"));
    boolean same = agent != null && agent.getBoolean("connected")
      && agent.getString("connectionId").equals(from.getString("connectionId"));
    return same ? agent : null;
  }

  private void markDisconnected(JsonObject agent) {
    agent.put("connected", false).put("disconnectedAt", Instant.now().toString());
    publish("disconnected", agent);
    writer.changed();
  }

  /** The list's last change is written before the store stops. */
  @Override
  public Future<?> stop() {
    return writer.stop();
  }

  private void closeConnection(JsonObject agent, String reason) {
    vertx.eventBus().send(Addresses.gatewayConnection(agent.getString("connectionId")), new JsonObject().put("close", reason));
  }

  private void publish(String event, JsonObject agent) {
    vertx.eventBus().publish(Addresses.REGISTRY_EVENTS, new JsonObject()
      .put("event", event)
      .put("clientId", agent.getString("clientId"))
      .put("connectionId", agent.getString("connectionId")));
  }
}
