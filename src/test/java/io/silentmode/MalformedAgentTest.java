package io.silentmode;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.vertx.VertxInternals;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Control messages whose fields have the wrong types, or come out of turn: a clear answer, never a lost message. */
@ExtendWith(VertxExtension.class)
class MalformedAgentTest {

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).start();
  }

  /** Before, the number was taken and turned into text; the protocol says agentVersion is a string. */
  @Test
  void a_register_with_a_number_for_agent_version_is_refused_at_once() {
    WebSocket ws = RawAgent.connect(fx);
    Promise<String> error = Promise.promise();
    Promise<String> closed = Promise.promise();
    ws.textMessageHandler(error::tryComplete);
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode() + " " + ws.closeReason()));

    ws.writeTextMessage(Protocol.register("typed", null, new JsonObject()).put("agentVersion", 42).encode());

    JsonObject answer = new JsonObject(error.future().timeout(5, TimeUnit.SECONDS).await());
    assertEquals("PROTOCOL_ERROR", answer.getString("code"), answer::encode);
    assertTrue(answer.getString("message").contains("'agentVersion' must be a string"), answer::encode);
    assertEquals("1008 PROTOCOL_ERROR", closed.future().timeout(5, TimeUnit.SECONDS).await());
  }

  /** Before, any size up to the message limit (about 1 MiB) was kept in memory and in DATA_DIR for 30 days. */
  @Test
  void a_register_with_4_kib_of_metadata_or_a_long_version_is_refused() {
    for (JsonObject register : List.of(
      Protocol.register("bulky", "1", new JsonObject().put("notes", "x".repeat(4_100))),
      Protocol.register("bulky", "v".repeat(65), new JsonObject()))) {
      WebSocket ws = RawAgent.connect(fx);
      Promise<String> closed = Promise.promise();
      ws.closeHandler(v -> closed.complete(ws.closeStatusCode() + " " + ws.closeReason()));
      ws.writeTextMessage(register.encode());
      assertEquals("1008 VALIDATION_FAILED", closed.future().timeout(5, TimeUnit.SECONDS).await());
    }
  }

  /** Before, the registry took the second REGISTER for a newer connection and closed this one as replaced. */
  @Test
  void a_second_register_before_the_ack_is_a_protocol_error() {
    WebSocket ws = RawAgent.connect(fx);
    Promise<String> closed = Promise.promise();
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode() + " " + ws.closeReason()));

    String register = Protocol.register("eager", "1", new JsonObject()).encode();
    // Both in one flush, so the server reads them together: written one by one, the second could arrive after the
    // REGISTER_ACK on a slow machine, and be ignored as a repeated REGISTER is.
    ChannelHandlerContext wire = VertxInternals.pipelineOf(ws);
    wire.executor().execute(() -> {
      wire.write(new TextWebSocketFrame(register));
      wire.writeAndFlush(new TextWebSocketFrame(register));
    });

    assertEquals("1008 PROTOCOL_ERROR", closed.future().timeout(5, TimeUnit.SECONDS).await());
  }

  /** Only a DOWNLOAD_ACK can refuse a pull with success false; on DOWNLOAD_PREPARING it means nothing. */
  @Test
  void preparing_with_success_false_does_not_fail_the_pull() throws Exception {
    byte[] file = Files.readAllBytes(fx.randomFile("prep.bin", 2L * Fixture.CHUNK));
    RawAgent agent = RawAgent.register(fx, "preparer");
    agent.serving(file, id -> {
      agent.send(Protocol.message(MessageType.DOWNLOAD_PREPARING).put("requestId", id).put("success", false));
      return RawAgent.ack(id, "prep.bin", file);
    });

    JsonObject result = fx.pull("preparer");

    assertEquals("completed", result.getString("status"), result::encode);
  }

  /** Before, a string 'success' threw in the orchestrator's consumer and the message vanished without a word. */
  @Test
  void a_message_with_a_mistyped_field_gets_an_error_and_the_pull_goes_on() throws Exception {
    byte[] file = Files.readAllBytes(fx.randomFile("typed.bin", 2L * Fixture.CHUNK));
    RawAgent agent = RawAgent.register(fx, "mistyped");
    agent.serving(file, id -> {
      agent.send(RawAgent.ack(id, "typed.bin", file).put("success", "yes"));
      return RawAgent.ack(id, "typed.bin", file);
    });

    JsonObject result = fx.pull("mistyped");

    assertEquals("completed", result.getString("status"), result::encode);
    JsonObject error = agent.firstError.future().timeout(5, TimeUnit.SECONDS).await();
    assertEquals("PROTOCOL_ERROR", error.getString("code"), error::encode);
    assertTrue(error.getString("message").contains("'success' must be true or false"), error::encode);
  }
}
