package io.silentmode;

import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wait for a DOWNLOAD_ACK is bounded by CHUNK_TIMEOUT of silence: an agent that never answers the request
 * fails its pull soon, one that takes long to hash its file but says DOWNLOAD_PREPARING meanwhile does not.
 */
@ExtendWith(VertxExtension.class)
class PreparingTest {

  private static final long CHUNK_TIMEOUT = 400;

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).with(c -> c.setChunkTimeout(CHUNK_TIMEOUT));
  }

  @Test
  void an_agent_that_answers_pings_but_never_the_request_fails_its_pull_after_chunk_timeout() {
    fx.with(c -> c.setHeartbeatInterval(100)).start();
    RawAgent.register(fx, "mute").on(m -> { });
    long started = System.currentTimeMillis();

    JsonObject result = fx.awaitFinal(fx.startPull("mute", null), 5);

    assertEquals("failed", result.getString("status"), result::encode);
    assertEquals("DOWNLOAD_TIMEOUT", result.getJsonObject("error").getString("code"), result::encode);
    assertTrue(result.getJsonObject("error").getString("message").contains("CHUNK_TIMEOUT"), result::encode);
    long took = System.currentTimeMillis() - started;
    assertTrue(took >= CHUNK_TIMEOUT && took < CHUNK_TIMEOUT + 3_000, "failed after " + took + " ms");
  }

  @Test
  void an_agent_that_hashes_for_longer_than_chunk_timeout_is_not_timed_out() throws Exception {
    fx.start();
    Path source = fx.randomFile("slow-disk.bin", 3L * Fixture.CHUNK + 11);
    fx.agent("slow-disk", source, config -> new AgentVerticle(config) {
      @Override
      protected void opening(String requestId) {
        try {
          Thread.sleep(4 * CHUNK_TIMEOUT); // a slow disk: opening and hashing take four CHUNK_TIMEOUTs
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });

    JsonObject result = fx.pull("slow-disk");

    assertEquals("completed", result.getString("status"), result::encode);
    assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(Path.of(result.getJsonObject("file").getString("path"))));
  }

  @Test
  void an_agent_that_says_nothing_new_but_acknowledges_within_chunk_timeout_needs_nothing_new() throws Exception {
    fx.start();
    byte[] file = Files.readAllBytes(fx.randomFile("old.bin", 2L * Fixture.CHUNK));
    RawAgent.register(fx, "old-agent").serving(file, id -> RawAgent.ack(id, "old.bin", file));

    JsonObject result = fx.pull("old-agent");

    assertEquals("completed", result.getString("status"), result::encode);
  }

  @Test
  void preparing_keeps_a_raw_agent_s_pull_alive_until_its_ack() throws Exception {
    fx.start();
    byte[] file = Files.readAllBytes(fx.randomFile("raw.bin", Fixture.CHUNK + 3));
    RawAgent agent = RawAgent.register(fx, "raw-preparer");
    agent.serving(file, id -> {
      for (int i = 1; i <= 6; i++) { // keep-alives every third of CHUNK_TIMEOUT, then the ACK
        fx.vertx.setTimer(i * CHUNK_TIMEOUT / 3, t -> agent.send(Protocol.message(MessageType.DOWNLOAD_PREPARING).put("requestId", id)));
      }
      fx.vertx.setTimer(7 * CHUNK_TIMEOUT / 3, t -> agent.send(RawAgent.ack(id, "raw.bin", file)));
      return null;
    });

    JsonObject result = fx.pull("raw-preparer");

    assertEquals("completed", result.getString("status"), result::encode);
  }
}
