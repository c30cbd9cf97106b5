package io.silentmode;

import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Agents that send too much: floods of REGISTER and PONG, sockets that never register, text messages over the size
 * limit. Each costs the server its own connection at most; other agents' pulls go on.
 */
@ExtendWith(VertxExtension.class)
class AgentFloodTest {

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir);
  }

  @Test
  void a_registered_agent_flooding_register_and_pong_creates_no_ids_and_another_agents_pull_completes() throws Exception {
    fx.start();
    Path file = fx.randomFile("served.bin", 20L * Fixture.CHUNK + 3);
    fx.agent("honest", file);
    RawAgent flooder = RawAgent.register(fx, "flooder");
    Promise<JsonObject> read = Promise.promise();
    flooder.on(m -> {
      if (Protocol.typeOf(m) == MessageType.ERROR) {
        read.tryComplete(m);
      }
    });
    JsonObject pull = fx.startPull("honest", null);

    for (int i = 0; i < 5_000; i++) {
      flooder.send(Protocol.message(MessageType.REGISTER).put("clientId", "other-" + i)
        .put("protocolVersion", Protocol.VERSION).put("proof", "x".repeat(86)));
      flooder.send(Protocol.message(MessageType.PONG).put("timestamp", "x"));
    }
    // Messages are read in order: the answer to this one means the server has read the whole flood.
    flooder.send(new JsonObject().put("type", "READ_YET"));
    assertTrue(read.future().timeout(30, TimeUnit.SECONDS).await().getString("message").contains("READ_YET"));

    JsonObject result = fx.awaitFinal(pull);
    assertEquals("completed", result.getString("status"), result::encode);
    assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(Path.of(result.getJsonObject("file").getString("path"))));
    JsonArray known = fx.request(Addresses.REGISTRY_LIST, new JsonObject().put("limit", 500)).getJsonArray("items");
    assertEquals(List.of("flooder", "honest"), known.stream().map(a -> ((JsonObject) a).getString("clientId")).toList());
    assertTrue(((JsonObject) known.getValue(0)).getBoolean("connected"), "a REGISTER after registration is only traffic");
  }

  @Test
  void sockets_that_never_register_are_all_closed_once_REGISTER_TIMEOUT_passes() {
    fx.with(c -> c.setRegisterTimeout(300)).start();
    List<Promise<String>> closed = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      WebSocket ws = RawAgent.connect(fx);
      Promise<String> close = Promise.promise();
      ws.closeHandler(v -> close.complete(ws.closeStatusCode() + " " + ws.closeReason()));
      closed.add(close);
    }

    for (Promise<String> close : closed) {
      assertEquals("1008 PROTOCOL_ERROR", close.future().timeout(10, TimeUnit.SECONDS).await());
    }
    assertEquals(0, fx.request(Addresses.REGISTRY_LIST, new JsonObject().put("limit", 10)).getJsonArray("items").size());
  }

  /** Text messages have the same bound as binary ones, before REGISTER and after it (ConnectionTest: binary). */
  @Test
  void a_text_message_over_the_size_limit_closes_the_connection_with_1009_before_and_after_register() {
    fx.start();
    int limit = Math.max(64 * 1024, Fixture.CHUNK + ChunkFrame.HEADER_SIZE);
    WebSocket before = RawAgent.connect(fx);
    WebSocket after = RawAgent.register(fx, "chatty").ws;
    for (WebSocket ws : List.of(before, after)) {
      Promise<Short> closed = Promise.promise();
      ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
      ws.writeFrame(WebSocketFrame.textFrame("{\"type\":\"PONG\",\"x\":\"" + "a".repeat(limit / 2), false));
      ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer("a".repeat(limit / 2) + "\"}"), true));
      assertEquals((short) 1009, closed.future().timeout(10, TimeUnit.SECONDS).await());
    }
  }
}
