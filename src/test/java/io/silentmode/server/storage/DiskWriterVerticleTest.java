package io.silentmode.server.storage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.Addresses;
import io.silentmode.server.ChunkCodec;
import io.silentmode.server.ServerConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The disk writer on its own, fed over the event bus as the orchestrator feeds it. */
@ExtendWith(VertxExtension.class)
class DiskWriterVerticleTest {

  private static final int CHUNK = 1024 * 1024;
  private static final int CHUNKS = 64;

  @TempDir
  Path dir;

  /**
   * The checks of the chunks it was handed release their frames when they end: undeploying must wait for them, or
   * frames would be released (or leaked) after the server says it has stopped, by a pool that is closed.
   */
  @Test
  void stopping_waits_for_the_chunk_checks_under_way_and_every_frame_is_released(Vertx vertx) throws Exception {
    ChunkCodec.register(vertx);
    ServerConfig config = ServerConfig.defaults().setDownloadDir(dir.toString()).setChunkSize(CHUNK);
    String deployment = vertx.deployVerticle(new DiskWriterVerticle(config, false),
      new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)).await();
    String requestId = UUID.randomUUID().toString();
    open(vertx, requestId);

    List<ByteBuf> frames = new ArrayList<>();
    DeliveryOptions write = new DeliveryOptions().setLocalOnly(true).setCodecName(ChunkCodec.NAME)
      .addHeader("partId", requestId);
    SplittableRandom random = new SplittableRandom(1);
    for (int index = 0; index < CHUNKS; index++) {
      frames.add(frame(UUID.fromString(requestId), index, random));
    }
    frames.forEach(frame -> vertx.eventBus().request(Addresses.STORAGE_WRITE, frame, write));
    // The disk writer's context takes its tasks in order: it hands every write above to the chunk checks, which
    // take a millisecond or more each, before it runs its stop.
    vertx.undeploy(deployment).await();

    for (int index = 0; index < CHUNKS; index++) {
      assertEquals(0, frames.get(index).refCnt(), "frame " + index + " released");
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of("." + requestId + ".part", "." + requestId + ".sums"),
        left.map(f -> f.getFileName().toString()).sorted().toList(), "part files kept at stop, for the pull to resume");
    }
  }

  private static void open(Vertx vertx, String requestId) {
    vertx.eventBus().request(Addresses.STORAGE_OPEN, new JsonObject().put("partId", requestId)
      .put("finalName", "file-" + requestId).put("size", (long) CHUNKS * CHUNK).put("chunkSize", CHUNK)
      .put("totalChunks", CHUNKS).put("sha256", "00".repeat(32))).await();
  }

  private static ByteBuf frame(UUID requestId, int index, SplittableRandom random) {
    byte[] payload = new byte[CHUNK];
    random.nextBytes(payload);
    MessageDigest digest = Sha256.digest();
    ByteBuffer frame = ByteBuffer.allocate(ChunkFrame.HEADER_SIZE + CHUNK).put(ChunkFrame.HEADER_SIZE, payload);
    ChunkFrame.writeHeader(frame, requestId, index, CHUNK, digest.digest(payload));
    return Unpooled.wrappedBuffer(frame);
  }
}
