package io.silentmode.server.registry;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
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
 * A second connection with the same client id replaces the first, which is closed with a reason.
 */
public class RegistryVerticle extends VerticleBase {

  static final int MISSED_HEARTBEATS = 3;
  private static final System.Logger log = System.getLogger(RegistryVerticle.class.getName());

  private final ServerConfig config;
  /** By client id, in its order (the list's pages follow it); a disconnected agent stays with {@code connected: false}. */
  private final NavigableMap<String, JsonObject> agents = new TreeMap<>();
  /** A write of the known agents is under way, and the list changed after it was sent. */
  private boolean saving;
  private boolean changedSinceSave;

  public RegistryVerticle(ServerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    return bus.<JsonArray>request(Addresses.STORE_CLIENT_LOAD, new JsonObject()).compose(stored -> {
      restore(stored.body());
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
      if (Instant.parse(agent.getString("lastSeen")).isAfter(horizon)) {
        agents.put(agent.getString("clientId"), agent);
      }
    }
  }

  private Future<?> listen(EventBus bus) {
    return Future.all(
      bus.<JsonObject>localConsumer(Addresses.REGISTRY_REGISTER, this::register).completion(),
      bus.<JsonObject>localConsumer(Addresses.REGISTRY_SEEN, this::seen).completion(),
      bus.<JsonObject>consumer(Addresses.AGENTS_CONNECTED, m -> connectedElsewhere(m.body())).completion(),
      bus.<JsonObject>localConsumer(Addresses.REGISTRY_UNREGISTER, this::unregister).completion(),
      bus.<JsonObject>consumer(Addresses.onNode(Addresses.REGISTRY_GET, config.nodeName()), this::get).completion(),
      bus.<JsonObject>consumer(Addresses.onNode(Addresses.REGISTRY_LIST, config.nodeName()), this::list).completion());
  }

  private void register(Message<JsonObject> m) {
    JsonObject r = m.body();
    String clientId = r.getString("clientId");
    JsonObject previous = agents.get(clientId);
    if (previous != null && previous.getBoolean("connected")) {
      log.log(System.Logger.Level.WARNING, "Agent " + clientId + " connected again from " + r.getString("remoteAddress")
        + "; closing its previous connection from " + previous.getString("remoteAddress"));
      closeConnection(previous, "replaced by a newer connection with the same clientId");
      publish("disconnected", previous);
    }
    String now = Instant.now().toString();
    JsonObject agent = r.copy().put("connected", true).put("connectedAt", now).put("lastSeen", now).put("node", config.nodeName());
    agents.put(clientId, agent);
    publish("connected", agent);
    vertx.eventBus().publish(Addresses.AGENTS_CONNECTED, new JsonObject().put("clientId", clientId).put("node", config.nodeName()));
    persist();
    m.reply(agent);
  }

  /** The agent registered on another node: a connection still held here is a dead one, or an impostor's. */
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

  /** One page of the agents this node knows ({@code connected?, selector?, limit, cursor?}), in {@link ClientCursor} order. */
  private void list(Message<JsonObject> m) {
    JsonObject q = m.body();
    Boolean connected = q.getBoolean("connected");
    int limit = q.getInteger("limit", 50);
    String after;
    LabelSelector selector;
    try {
      selector = q.getString("selector") == null ? null : LabelSelector.parse(q.getString("selector"));
    } catch (LabelSelector.Invalid e) {
      m.fail(ErrorCode.VALIDATION_FAILED.busCode(), "selector: " + e.getMessage());
      return;
    }
    try {
      after = ClientCursor.decode(q.getString("cursor"));
    } catch (IllegalArgumentException e) {
      m.fail(ErrorCode.VALIDATION_FAILED.busCode(), "cursor is not one this server gave out");
      return;
    }
    JsonArray items = new JsonArray();
    String last = null;
    boolean more = false;
    for (JsonObject agent : (after == null ? agents : agents.tailMap(after, false)).values()) {
      if (connected != null && agent.getBoolean("connected") != connected
        || selector != null && !selector.matches(agent.getJsonObject("labels"))) {
        continue;
      }
      if (items.size() == limit) {
        more = true;
        break;
      }
      items.add(agent.copy());
      last = agent.getString("clientId");
    }
    String next = more ? ClientCursor.encode(last) : null;
    m.reply(new JsonObject().put("items", items).put("nextCursor", next));
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
    persist();
  }

  /**
   * Rewrites the known agents: on connects and disconnects only, not on every heartbeat. One write at a time, and
   * the changes made meanwhile go in the next: the whole list is copied for each write, and a write per REGISTER
   * made a reconnect storm of N agents copy N²/2 records (1,000 agents ran a 256 MiB heap out of memory).
   */
  private void persist() {
    if (saving) {
      changedSinceSave = true;
      return;
    }
    saving = true;
    vertx.eventBus().request(Addresses.STORE_CLIENT_SAVE, new JsonObject().put("clients", new JsonArray(List.copyOf(agents.values()))))
      .onFailure(e -> log.log(System.Logger.Level.WARNING, "Could not store the known agents: " + e.getMessage()))
      .onComplete(saved -> {
        saving = false;
        if (changedSinceSave) {
          changedSinceSave = false;
          persist();
        }
      });
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
