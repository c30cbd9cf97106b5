package io.silentmode;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.silentmode.server.Server;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Agents come and go: heartbeats, duplicate ids, server restarts, protocol versions. */
@ExtendWith(VertxExtension.class)
class ConnectionTest {

  @TempDir
  Path dir;
  Fixture fx;
  WebSocketClient client;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir);
    client = vertx.createWebSocketClient();
  }

  @Test
  void a_silent_agent_is_dropped_after_three_missed_heartbeats() {
    fx.with(c -> c.setHeartbeatInterval(100))
      .start();
    Promise<Short> closed = Promise.promise();
    WebSocket silent = register("mute-1", Protocol.VERSION);
    silent.closeHandler(v -> closed.complete(silent.closeStatusCode()));
    fx.awaitConnected("mute-1");

    assertEquals(Protocol.CLOSE_POLICY, closed.future().await());
    JsonObject agent = fx.request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", "mute-1"));
    assertFalse(agent.getBoolean("connected"));
  }

  @Test
  void an_agent_that_answers_heartbeats_stays_connected() throws Exception {
    fx.with(c -> c.setHeartbeatInterval(100))
      .start();
    fx.agent("chatty-1", fx.randomFile("f", 10));
    Thread.sleep(600); // six heartbeat intervals: twice what drops a silent agent

    JsonObject agent = fx.request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", "chatty-1"));
    assertTrue(agent.getBoolean("connected"));
  }

  @Test
  void a_second_connection_with_the_same_id_replaces_the_first() {
    fx.start();
    WebSocket first = register("twin", Protocol.VERSION);
    fx.awaitConnected("twin");
    Promise<String> firstClosed = Promise.promise();
    first.closeHandler(v -> firstClosed.complete(first.closeReason()));

    fx.expectReconnect("twin");
    WebSocket second = register("twin", Protocol.VERSION);
    fx.awaitConnected("twin");

    assertEquals("replaced by a newer connection with the same clientId", firstClosed.future().await());
    JsonObject agent = fx.request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", "twin"));
    assertTrue(agent.getBoolean("connected"));
    assertEquals(second.localAddress().toString(), agent.getString("remoteAddress"));
  }

  @Test
  void an_agent_reconnects_by_itself_after_the_server_restarts() throws Exception {
    fx.start();
    Path file = fx.randomFile("f.bin", 3 * Fixture.CHUNK);
    fx.agent("phoenix", file);
    int port = fx.server.wsPort();

    fx.server.stop().await();
    fx.expectReconnect("phoenix");
    fx.server = Server.start(fx.vertx, fx.config.copy().setWsPort(port)).await();
    fx.awaitConnected("phoenix");

    JsonObject result = fx.pull("phoenix");
    assertEquals("completed", result.getString("status"), result::encode);
    assertEquals(Fixture.sha256(file), result.getJsonObject("file").getString("sha256"));
  }

  @Test
  void a_protocol_version_mismatch_gets_a_clear_error_and_a_close() {
    fx.start();
    Promise<JsonObject> error = Promise.promise();
    Promise<Short> closed = Promise.promise();
    WebSocket ws = client.connect(fx.server.wsPort(), "127.0.0.1", "/").await();
    ws.textMessageHandler(t -> error.tryComplete(new JsonObject(t)));
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
    ws.writeTextMessage(Protocol.message(MessageType.REGISTER).put("clientId", "old-1").put("protocolVersion", 0).encode());

    JsonObject e = error.future().await();
    assertEquals("PROTOCOL_VERSION_MISMATCH", e.getString("code"));
    assertTrue(e.getString("message").contains("version 1"), e::encode);
    assertEquals(Protocol.CLOSE_POLICY, closed.future().await());
  }

  @Test
  void an_agent_the_server_refuses_gives_up_instead_of_reconnecting_forever() {
    fx.start();
    AgentVerticle agent = new AgentVerticle(new AgentConfig("no spaces allowed", fx.wsUrl(), dir.toString(), 10, 0));
    fx.vertx.deployVerticle(agent).await();

    Throwable reason = assertThrows(RuntimeException.class, () -> agent.gaveUp().await());
    assertTrue(reason.getMessage().contains("VALIDATION_FAILED"), reason.getMessage());
  }

  @Test
  void messages_before_register_are_refused() {
    fx.start();
    Promise<JsonObject> error = Promise.promise();
    WebSocket ws = client.connect(fx.server.wsPort(), "127.0.0.1", "/").await();
    ws.textMessageHandler(t -> error.tryComplete(new JsonObject(t)));
    ws.writeTextMessage(Protocol.message(MessageType.PONG).encode());

    JsonObject e = error.future().await();
    assertEquals("PROTOCOL_ERROR", e.getString("code"));
    assertTrue(e.getString("message").contains("must be REGISTER"), e::encode);
  }

  /** A bare WebSocket that registers and then never answers anything: the agent a test controls fully. */
  private WebSocket register(String clientId, int version) {
    WebSocket ws = client.connect(fx.server.wsPort(), "127.0.0.1", "/").await();
    ws.writeTextMessage(Protocol.message(MessageType.REGISTER).put("clientId", clientId)
      .put("protocolVersion", version).encode());
    return ws;
  }
}
