package io.silentmode.agent;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * One agent of a {@link Swarm}, as cheap as the protocol allows: it registers (enrolling a key of its own, kept in
 * memory, when it has the token), answers PINGs and refuses pulls (it serves no file), and reconnects after a lost
 * connection with the real agent's backoff. Its handlers run on the event loop its connection was given.
 */
final class SimulatedAgent {

  private final Vertx vertx;
  private final WebSocketClient client;
  private final WebSocketConnectOptions server;
  private final String clientId;
  private final Swarm.Counters counters;
  private final long reconnectInterval;
  private final AgentIdentity identity;
  private int failedAttempts;
  private boolean registered;

  SimulatedAgent(Vertx vertx, WebSocketClient client, WebSocketConnectOptions server, String clientId,
                 long reconnectInterval, String enrollmentToken, Swarm.Counters counters) {
    this.vertx = vertx;
    this.client = client;
    this.server = server;
    this.clientId = clientId;
    this.reconnectInterval = reconnectInterval;
    this.counters = counters;
    this.identity = AgentIdentity.inMemory(clientId, enrollmentToken);
  }

  void connect() {
    client.connect(server).onSuccess(this::opened).onFailure(e -> reconnectLater());
  }

  private void opened(WebSocket ws) {
    ws.textMessageHandler(text -> onText(ws, text));
    ws.closeHandler(v -> {
      if (registered) {
        registered = false;
        counters.registered(false);
      }
      reconnectLater();
    });
  }

  private void onText(WebSocket ws, String text) {
    JsonObject message;
    try {
      message = new JsonObject(text);
    } catch (DecodeException e) {
      return;
    }
    MessageType type = Protocol.typeOf(message);
    if (type == MessageType.CHALLENGE) {
      ws.writeTextMessage(identity.prove(Protocol.register(clientId, AgentVerticle.VERSION,
        new JsonObject().put("os", "swarm")), message.getString("nonce")).encode());
    } else if (type == MessageType.REGISTER_ACK) {
      identity.enrolledInMemory(Boolean.TRUE.equals(message.getValue("enrolled")));
      failedAttempts = 0;
      registered = true;
      counters.registered(true);
    } else if (type == MessageType.PING) {
      ws.writeTextMessage(Protocol.pong(message).encode());
      counters.ponged();
    } else if (type == MessageType.DOWNLOAD_REQUEST) {
      ws.writeTextMessage(Protocol.error(message.getString("requestId"), ErrorCode.FILE_NOT_FOUND,
        "a simulated agent serves no file").encode());
    }
  }

  private void reconnectLater() {
    if (!counters.stopping()) {
      counters.reconnecting();
      vertx.setTimer(AgentConnection.reconnectDelay(reconnectInterval, ++failedAttempts), t -> connect());
    }
  }
}
