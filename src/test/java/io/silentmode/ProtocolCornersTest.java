package io.silentmode;

import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviours docs/PROTOCOL.md answers for an agent written from it alone. */
@ExtendWith(VertxExtension.class)
class ProtocolCornersTest {

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir);
  }

  @Test
  void websocket_pings_are_answered_but_are_no_heartbeat() {
    fx.with(c -> c.setHeartbeatInterval(100)).start();
    RawAgent agent = RawAgent.register(fx, "frame-pinger");
    agent.ws.textMessageHandler(text -> { }); // never a PONG message
    Promise<Buffer> pong = Promise.promise();
    Promise<String> closed = Promise.promise();
    agent.ws.pongHandler(pong::tryComplete);
    agent.ws.closeHandler(v -> closed.complete(agent.ws.closeStatusCode() + " " + agent.ws.closeReason()));
    long pinging = fx.vertx.setPeriodic(50, t -> agent.ws.writePing(Buffer.buffer("are you there")));

    assertEquals("are you there", pong.future().timeout(5, TimeUnit.SECONDS).await().toString());
    assertEquals("1008 missed 3 heartbeats", closed.future().timeout(5, TimeUnit.SECONDS).await());
    fx.vertx.cancelTimer(pinging);
  }

  @Test
  void an_agent_error_without_request_id_fails_no_pull() throws Exception {
    fx.start();
    byte[] file = Files.readAllBytes(fx.randomFile("plain.bin", 2L * Fixture.CHUNK));
    RawAgent agent = RawAgent.register(fx, "null-error");
    agent.serving(file, id -> {
      agent.send(Protocol.error(null, ErrorCode.FILE_READ_ERROR, "something about no pull"));
      return RawAgent.ack(id, "plain.bin", file);
    });

    JsonObject result = fx.pull("null-error");

    assertEquals("completed", result.getString("status"), result::encode);
  }

  /** The server never asks for more than its window, but an agent bounds what it is asked before queuing reads. */
  @Test
  void the_agent_refuses_chunks_beyond_its_file_before_reading_any() throws Exception {
    fx.start();
    Path source = fx.randomFile("bounded.bin", 3L * Fixture.CHUNK);
    fx.agent("bounded", source);
    fx.vertx.eventBus().addInboundInterceptor(delivery -> {
      if (delivery.message().body() instanceof JsonObject m && Protocol.typeOf(m) == MessageType.REQUEST_CHUNKS) {
        m.put("count", Integer.MAX_VALUE - 1); // what a hostile or broken server might ask
      }
      delivery.next();
    });

    JsonObject result = fx.awaitFinal(fx.startPull("bounded", null), 10);

    assertEquals("failed", result.getString("status"), result::encode);
    assertEquals("PROTOCOL_ERROR", result.getJsonObject("error").getString("code"), result::encode);
    assertTrue(result.getJsonObject("error").getString("message").contains("not all within 0..2"), result::encode);
  }

  /** The server runs one pull per agent: a DOWNLOAD_REQUEST means the agent's other pulls are over. */
  @Test
  void a_new_download_request_replaces_the_pull_the_agent_was_preparing() throws Exception {
    fx.with(c -> c.setChunkTimeout(1_000)).start();
    Path source = fx.randomFile("two.bin", 2L * Fixture.CHUNK);
    Promise<Void> openingFirst = Promise.promise();
    fx.agent("two-requests", source, config -> new AgentVerticle(config) {
      @Override
      protected void opening(String requestId) {
        if (openingFirst.tryComplete()) {
          sleep(500); // the first request is still being prepared when the second comes
        }
      }
    });
    List<JsonObject> acks = new CopyOnWriteArrayList<>();
    fx.vertx.eventBus().addInboundInterceptor(delivery -> {
      if (Addresses.DOWNLOADS_AGENT_MESSAGE.equals(delivery.message().address())
        && Protocol.typeOf((JsonObject) delivery.message().body()) == MessageType.DOWNLOAD_ACK) {
        acks.add((JsonObject) delivery.message().body());
      }
      delivery.next();
    });
    JsonObject first = fx.startPull("two-requests", null);
    openingFirst.future().timeout(5, TimeUnit.SECONDS).await();
    String connectionId = fx.request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", "two-requests"))
      .getString("connectionId");
    String second = UUID.randomUUID().toString();
    fx.vertx.eventBus().send(Addresses.gatewayConnection(connectionId), Protocol.message(MessageType.DOWNLOAD_REQUEST)
      .put("requestId", second).put("filePath", null).put("chunkSize", Fixture.CHUNK));

    JsonObject result = fx.awaitFinal(first, 10);

    assertEquals("failed", result.getString("status"), "the agent gave up the first request: " + result.encode());
    assertEquals(List.of(second), acks.stream().map(a -> a.getString("requestId")).toList(), "only the second was acknowledged");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
