package io.silentmode;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.silentmode.server.Server;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Agents come and go: heartbeats, duplicate ids, server restarts, protocol versions, framing. */
@ExtendWith(VertxExtension.class)
class ConnectionTest {

  @TempDir
  Path dir;
  Fixture fx;
  WebSocketClient client;
  /** Broken, cut off and rejected messages must give their pooled memory back too. */
  Leaks leaks;

  @BeforeEach
  void setUp(Vertx vertx) {
    leaks = new Leaks();
    fx = new Fixture(vertx, dir);
    client = vertx.createWebSocketClient();
  }

  /**
   * While the server still answers: closing Vert.x with a socket open makes the server wait for the close handshake,
   * and a client nobody holds any more may be closed by the garbage collector at any moment.
   */
  @AfterEach
  void closeClient() throws InterruptedException {
    client.close().await();
    try {
      leaks.assertNone();
    } finally {
      leaks.close();
    }
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
    Promise<Void> sixPings = Promise.promise();
    AtomicInteger pings = new AtomicInteger();
    fx.vertx.eventBus().addOutboundInterceptor(delivery -> {
      if (delivery.message().address().startsWith("gateway.connection.") && delivery.body() instanceof JsonObject m
        && "PING".equals(m.getString("type")) && pings.incrementAndGet() == 6) {
        sixPings.tryComplete();
      }
      delivery.next();
    });
    fx.agent("chatty-1", fx.randomFile("f", 10));
    // Each heartbeat either pings an agent or drops it: a sixth PING is twice what drops a silent agent.
    sixPings.future().await(10, TimeUnit.SECONDS);

    JsonObject agent = fx.request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", "chatty-1"));
    assertTrue(agent.getBoolean("connected"));
  }

  /**
   * On a slow uplink the agent's socket stays full for a whole pull. Its PONGs must still get through, behind at
   * most the chunks already written, or the server drops it for missed heartbeats and the pull fails. The agent's
   * socket send buffer is kept small, as the kernel's would be on a real slow link, so that what it has written
   * waits in Netty's buffer: there, a PONG that Vert.x queued while chunks went past it waited out the pull.
   */
  @Test
  void an_agent_on_a_slow_link_answers_heartbeats_during_a_long_pull(Vertx vertx) throws Exception {
    fx.with(c -> c.setHeartbeatInterval(300)).start(); // dropped after 0.9 s without a PONG
    SlowLink link = SlowLink.start(vertx, fx.server.wsPort(), 4_000_000); // the 1 MiB window takes 0.25 s
    Path source = fx.randomFile("big.bin", 12L * 1024 * 1024); // three seconds, ten heartbeats
    try {
      fx.agent("uphill", source, link.url(), c -> new AgentVerticle(c) {
        @Override
        protected WebSocketClientOptions clientOptions() {
          return super.clientOptions().setSendBufferSize(16 * 1024);
        }
      });

      JsonObject result = fx.pull("uphill");

      assertEquals("completed", result.getString("status"), result::encodePrettily);
      assertEquals(Fixture.sha256(source), Fixture.sha256(Path.of(result.getJsonObject("file").getString("path"))));
    } finally {
      link.close().await();
    }
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
    WebSocket ws = Challenged.open(client, fx.server.wsPort()).ws();
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
    AgentVerticle agent = new AgentVerticle(new AgentConfig("no spaces allowed", fx.wsUrl(), dir.toString(), 10, 0, 0));
    fx.vertx.deployVerticle(agent).await();

    Throwable reason = assertThrows(RuntimeException.class, () -> agent.gaveUp().await());
    assertTrue(reason.getMessage().contains("VALIDATION_FAILED"), reason.getMessage());
  }

  @Test
  void messages_before_register_are_refused() {
    fx.start();
    Promise<JsonObject> error = Promise.promise();
    WebSocket ws = Challenged.open(client, fx.server.wsPort()).ws();
    ws.textMessageHandler(t -> error.tryComplete(new JsonObject(t)));
    ws.writeTextMessage(Protocol.message(MessageType.PONG).encode());

    JsonObject e = error.future().await();
    assertEquals("PROTOCOL_ERROR", e.getString("code"));
    assertTrue(e.getString("message").contains("must be REGISTER"), e::encode);
  }

  @Test
  void an_agent_that_frames_messages_differently_is_understood(Vertx vertx) throws Exception {
    fx.start();
    Path source = fx.randomFile("other.bin", 3L * Fixture.CHUNK + 100);
    byte[] bytes = Files.readAllBytes(source);
    String sha = Fixture.sha256(source);
    // Another implementation: each chunk in one big frame, control messages split into fragments.
    client.close();
    client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(4 * Fixture.CHUNK));
    Challenged opened = Challenged.open(client, fx.server.wsPort());
    WebSocket ws = opened.ws();
    ws.textMessageHandler(text -> {
      JsonObject m = new JsonObject(text);
      String requestId = m.getString("requestId");
      switch (Protocol.typeOf(m)) {
        case DOWNLOAD_REQUEST -> writeFragmented(ws, Protocol.message(MessageType.DOWNLOAD_ACK).put("requestId", requestId)
          .put("success", true).put("fileName", "other.bin").put("fileSize", bytes.length).put("totalChunks", 4)
          .put("fileChecksum", sha).encode());
        case REQUEST_CHUNKS -> {
          for (int i = m.getInteger("index"); i < m.getInteger("index") + m.getInteger("count"); i++) {
            ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(RawAgent.chunkFrame(requestId, i, bytes)), true));
          }
        }
        default -> { }
      }
    });
    writeFragmented(ws, fx.prove(Protocol.message(MessageType.REGISTER).put("clientId", "other-make")
      .put("protocolVersion", Protocol.VERSION), opened.nonce()).encode());
    fx.awaitConnected("other-make");

    JsonObject result = fx.pull("other-make");

    assertEquals("completed", result.getString("status"), result::encode);
    assertArrayEquals(bytes, Files.readAllBytes(Path.of(result.getJsonObject("file").getString("path"))));
  }

  /** Once every chunk is in and checked, the disk writer's answer alone ends the pull: the file is published. */
  @Test
  void an_agent_error_while_the_file_is_being_published_does_not_fail_the_pull() throws Exception {
    fx.start();
    Path source = fx.randomFile("late-error.bin", 3L * Fixture.CHUNK + 100);
    byte[] bytes = Files.readAllBytes(source);
    String sha = Fixture.sha256(source);
    WebSocket ws = register("late-error", Protocol.VERSION);
    ws.textMessageHandler(text -> {
      JsonObject m = new JsonObject(text);
      String requestId = m.getString("requestId");
      switch (Protocol.typeOf(m)) {
        case DOWNLOAD_REQUEST -> ws.writeTextMessage(Protocol.message(MessageType.DOWNLOAD_ACK).put("requestId", requestId)
          .put("success", true).put("fileName", "late-error.bin").put("fileSize", bytes.length).put("totalChunks", 4)
          .put("fileChecksum", sha).encode());
        case REQUEST_CHUNKS -> {
          for (int i = m.getInteger("index"); i < m.getInteger("index") + m.getInteger("count"); i++) {
            ws.writeBinaryMessage(Buffer.buffer(RawAgent.chunkFrame(requestId, i, bytes)));
          }
        }
        default -> { }
      }
    });
    fx.vertx.eventBus().addInboundInterceptor(delivery -> {
      if (Addresses.STORAGE_COMMIT.equals(delivery.message().address())) {
        // The agent reports an error while the disk writer is about to publish the file.
        String requestId = ((JsonObject) delivery.body()).getString("requestId");
        ws.writeTextMessage(Protocol.error(requestId, ErrorCode.FILE_READ_ERROR, "the disk went away").encode());
        fx.vertx.setTimer(500, t -> delivery.next());
      } else {
        delivery.next();
      }
    });
    fx.awaitConnected("late-error");

    JsonObject result = fx.pull("late-error");

    assertEquals("completed", result.getString("status"), result::encode);
    assertArrayEquals(bytes, Files.readAllBytes(Path.of(result.getJsonObject("file").getString("path"))));
  }

  @Test
  void a_fragmented_message_over_the_size_limit_closes_the_connection_with_1009() {
    Promise<Short> closed = Promise.promise();
    WebSocket ws = registeredOnStartedServer("bloated", closed);

    // Each fragment is small; together they are one byte over max(CHUNK_SIZE + 58, 64 KiB).
    int limit = Math.max(64 * 1024, Fixture.CHUNK + ChunkFrame.HEADER_SIZE);
    ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[limit / 2]), false));
    ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(new byte[limit / 2 + 1]), true));

    assertEquals((short) 1009, closed.future().timeout(10, TimeUnit.SECONDS).await());
  }

  @Test
  void a_message_in_too_many_fragments_closes_the_connection_with_1009() {
    Promise<Short> closed = Promise.promise();
    WebSocket ws = registeredOnStartedServer("confetti", closed);

    // Empty fragments weigh nothing on the wire but each would cost the server memory.
    ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[10]), false));
    for (int i = 0; i < Protocol.MAX_FRAGMENTS; i++) {
      ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(), false));
    }

    assertEquals((short) 1009, closed.future().timeout(10, TimeUnit.SECONDS).await());
  }

  @Test
  void a_single_frame_over_the_size_limit_closes_the_connection_with_1009(Vertx vertx) {
    client.close();
    client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(4 * Fixture.CHUNK));
    Promise<Short> closed = Promise.promise();
    WebSocket ws = registeredOnStartedServer("whale", closed);

    int limit = Math.max(64 * 1024, Fixture.CHUNK + ChunkFrame.HEADER_SIZE);
    ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[limit + 1]), true));

    assertEquals((short) 1009, closed.future().timeout(10, TimeUnit.SECONDS).await());
  }

  @Test
  void a_new_message_before_the_last_fragment_of_the_previous_one_closes_the_connection_with_1002() {
    Promise<Short> closed = Promise.promise();
    WebSocket ws = registeredOnStartedServer("interleaver", closed);

    ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[10]), false));
    ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[10]), true));

    assertEquals((short) 1002, closed.future().timeout(10, TimeUnit.SECONDS).await());
  }

  /** Starts the server and registers a bare agent; {@code closed} completes with the close code the agent gets. */
  private WebSocket registeredOnStartedServer(String clientId, Promise<Short> closed) {
    fx.start();
    WebSocket ws = register(clientId, Protocol.VERSION);
    fx.awaitConnected(clientId);
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
    return ws;
  }

  private static void writeFragmented(WebSocket ws, String text) {
    int half = text.length() / 2;
    ws.writeFrame(WebSocketFrame.textFrame(text.substring(0, half), false));
    ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(text.substring(half)), true));
  }

  /** A bare WebSocket that registers and then never answers anything: the agent a test controls fully. */
  private WebSocket register(String clientId, int version) {
    Challenged opened = Challenged.open(client, fx.server.wsPort());
    opened.ws().writeTextMessage(fx.prove(Protocol.message(MessageType.REGISTER).put("clientId", clientId)
      .put("protocolVersion", version), opened.nonce()).encode());
    return opened.ws();
  }
}
