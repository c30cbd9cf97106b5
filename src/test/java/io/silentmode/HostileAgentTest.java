package io.silentmode;

import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.Sha256;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An agent that lies (in its DOWNLOAD_ACK, its chunks, or with another agent's pull) costs the server one failed job,
 * never its memory, its disk or another agent's file. Identity attacks: ImpersonationTest; floods: AgentFloodTest.
 */
@ExtendWith(VertxExtension.class)
class HostileAgentTest {

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir);
  }

  @Test
  void an_ack_claiming_two_billion_chunks_fails_the_job_at_once_and_the_server_keeps_serving() throws Exception {
    fx.start();
    RawAgent liar = RawAgent.register(fx, "liar");
    liar.on(m -> {
      if (Protocol.typeOf(m) == MessageType.DOWNLOAD_REQUEST) {
        int total = Integer.MAX_VALUE;
        liar.send(Protocol.message(MessageType.DOWNLOAD_ACK).put("requestId", m.getString("requestId"))
          .put("success", true).put("fileName", "huge.bin").put("fileSize", (long) total * Fixture.CHUNK)
          .put("totalChunks", total).put("fileChecksum", "0".repeat(64)));
      }
    });

    JsonObject result = fx.awaitFinal(fx.startPull("liar", null), 5);

    assertEquals("failed", result.getString("status"), result::encode);
    assertEquals("FILE_TOO_LARGE", result.getJsonObject("error").getString("code"), result::encode);
    assertTrue(result.getJsonObject("error").getString("message").contains("MAX_FILE_SIZE"), result::encode);
    byte[] bytes = Files.readAllBytes(fx.randomFile("after.bin", 3L * Fixture.CHUNK + 7));
    fx.agent("honest", dir.resolve("after.bin"));
    JsonObject after = fx.pull("honest");
    assertEquals("completed", after.getString("status"), after::encode);
    assertArrayEquals(bytes, Files.readAllBytes(Path.of(after.getJsonObject("file").getString("path"))));
  }

  /** Whatever name the agent gives its file, the pulled file lands in DOWNLOAD_DIR under a name made safe. */
  @Test
  void no_file_name_an_agent_sends_writes_outside_download_dir() throws Exception {
    fx.start();
    byte[] file = Files.readAllBytes(fx.randomFile("named.bin", Fixture.CHUNK + 5));
    List<String> names = List.of("../../escaped.bin", "/etc/passwd", "..", "../", "a\u0000b/../../c", "..\\..\\win.bin",
      "sub/dir/name.bin", ".hidden", "\u202e" + "nib.exe", "x".repeat(1024));
    for (String name : names) {
      String clientId = "namer-" + names.indexOf(name);
      RawAgent agent = RawAgent.register(fx, clientId);
      agent.serving(file, id -> RawAgent.ack(id, name, file));
      JsonObject result = fx.pull(clientId);
      assertEquals("completed", result.getString("status"), () -> name + ": " + result.encode());
      Path pulled = Path.of(result.getJsonObject("file").getString("path"));
      assertEquals(fx.downloads.toRealPath(), pulled.toRealPath().getParent(), name);
      assertTrue(pulled.getFileName().toString().matches(clientId + "-[0-9TZ.]+-[A-Za-z0-9_][A-Za-z0-9._-]{0,95}"),
        () -> name + " became " + pulled.getFileName());
      assertArrayEquals(file, Files.readAllBytes(pulled), name);
    }
    for (String escaped : List.of("escaped.bin", "c", "win.bin", "name.bin", "nib.exe")) {
      assertFalse(Files.exists(dir.getParent().resolve(escaped)), escaped + " next to the test directory");
    }
    assertEquals(Set.of("named.bin", "downloads", "data"), list(dir).stream().map(p -> p.getFileName().toString())
      .collect(Collectors.toSet()), "nothing appeared next to DOWNLOAD_DIR");
    assertEquals(names.size(), fx.downloadDirContents().size(), fx.downloadDirContents()::toString);
  }

  @Test
  void a_file_name_over_1024_characters_fails_the_pull_with_a_protocol_error() throws Exception {
    fx.start();
    byte[] file = Files.readAllBytes(fx.randomFile("long.bin", 10));
    RawAgent.register(fx, "long-name").serving(file, id -> RawAgent.ack(id, "y".repeat(10_000), file));

    JsonObject result = fx.pull("long-name");

    assertEquals("failed", result.getString("status"), result::encode);
    assertEquals("PROTOCOL_ERROR", result.getJsonObject("error").getString("code"), result::encode);
    assertTrue(result.getJsonObject("error").getString("message").contains("fileName is longer than 1024"), result::encode);
    fx.awaitEmptyDownloadDir();
  }

  /** The server takes a pull's chunks from its own agent's connection only, whoever knows its requestId. */
  @Test
  void chunks_another_agent_sends_for_a_pull_are_ignored_and_the_file_is_the_right_one() throws Exception {
    fx.start();
    byte[] file = Files.readAllBytes(fx.randomFile("victim.bin", 4L * Fixture.CHUNK + 5));
    byte[] forged = new byte[file.length];
    RawAgent intruder = RawAgent.register(fx, "intruder");
    Promise<JsonObject> read = Promise.promise();
    intruder.on(m -> read.tryComplete(m));
    Promise<String> asked = Promise.promise();
    RawAgent victim = RawAgent.register(fx, "victim").serving(file, id -> {
      asked.tryComplete(id);
      return null; // acknowledged below, once the intruder has had its go
    });
    JsonObject job = fx.startPull("victim", null);
    String requestId = asked.future().timeout(10, TimeUnit.SECONDS).await();
    assertEquals(job.getString("requestId"), requestId);

    for (int i = 0; i < 5; i++) {
      intruder.ws.writeBinaryMessage(Buffer.buffer(RawAgent.chunkFrame(requestId, i, forged)));
    }
    victim.send(RawAgent.ack(requestId, "victim.bin", file));
    for (int i = 0; i < 5; i++) {
      intruder.ws.writeBinaryMessage(Buffer.buffer(RawAgent.chunkFrame(requestId, i, forged)));
    }
    intruder.send(new JsonObject().put("type", "READ_YET"));
    read.future().timeout(10, TimeUnit.SECONDS).await();

    JsonObject result = fx.awaitFinal(job);
    assertEquals("completed", result.getString("status"), result::encode);
    assertArrayEquals(file, Files.readAllBytes(Path.of(result.getJsonObject("file").getString("path"))));
  }

  /**
   * A chunk whose header names another index than its payload's, with the payload's true hash, passes the chunk
   * check; the whole-file check catches it, nothing is published, and no temp file stays behind. (A chunk whose
   * hash lies is retried: PullTest.) Frames for indexes beyond the file are dropped.
   */
  @Test
  void chunks_with_a_lying_index_fail_the_pull_on_the_file_checksum_and_leave_nothing() throws Exception {
    fx.start();
    byte[] file = Files.readAllBytes(fx.randomFile("liar.bin", 4L * Fixture.CHUNK));
    RawAgent liar = RawAgent.register(fx, "index-liar");
    liar.on(m -> {
      String requestId = m.getString("requestId");
      switch (Protocol.typeOf(m)) {
        case DOWNLOAD_REQUEST -> liar.send(RawAgent.ack(requestId, "liar.bin", file));
        case REQUEST_CHUNKS, RETRY_CHUNK -> {
          for (int i = m.getInteger("index"); i < m.getInteger("index") + m.getInteger("count"); i++) {
            liar.ws.writeBinaryMessage(Buffer.buffer(relabelled(requestId, (i + 1) % 4, i, file)));
            liar.ws.writeBinaryMessage(Buffer.buffer(relabelled(requestId, 0, 4 + i, file)));
          }
        }
        default -> { }
      }
    });

    JsonObject result = fx.pull("index-liar");

    assertEquals("failed", result.getString("status"), result::encode);
    assertEquals("FILE_CHECKSUM_FAILED", result.getJsonObject("error").getString("code"), result::encode);
    fx.awaitEmptyDownloadDir();
  }

  /** Chunk {@code from}'s payload with its true hash, in a frame whose header says it is chunk {@code index}. */
  private static byte[] relabelled(String requestId, int from, int index, byte[] file) {
    byte[] frame = RawAgent.chunkFrame(requestId, from, file);
    byte[] payload = Arrays.copyOfRange(frame, ChunkFrame.HEADER_SIZE, frame.length);
    ChunkFrame.writeHeader(ByteBuffer.wrap(frame), UUID.fromString(requestId), index, payload.length,
      Sha256.digest().digest(payload));
    return frame;
  }

  private static List<Path> list(Path directory) throws Exception {
    try (Stream<Path> files = Files.list(directory)) {
      return files.toList();
    }
  }
}
