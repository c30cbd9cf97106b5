package io.silentmode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.Addresses;
import io.silentmode.server.ReceivedChunk;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class PullTest {

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir);
  }

  @Test
  void a_100_mib_file_arrives_byte_identical() throws Exception {
    fx.with(c -> c.setChunkSize(1024 * 1024)).start();
    Path source = fx.randomFile("file_to_download.txt", 100L * 1024 * 1024);
    fx.agent("restaurant-001", source);

    JsonObject result = fx.pull("restaurant-001");

    assertCompletedCopyOf(source, result);
    assertEquals(100, result.getInteger("totalChunks"));
    assertEquals(0, result.getInteger("retries"));
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, Fixture.CHUNK - 1, Fixture.CHUNK, Fixture.CHUNK + 1, 5 * Fixture.CHUNK})
  void files_at_chunk_boundaries_arrive_byte_identical(int size) throws Exception {
    fx.start();
    Path source = fx.randomFile("edge.bin", size);
    fx.agent("edge", source);

    JsonObject result = fx.pull("edge");

    assertCompletedCopyOf(source, result);
    assertEquals((size + Fixture.CHUNK - 1) / Fixture.CHUNK, result.getInteger("totalChunks"));
  }

  @Test
  void a_chunk_size_that_is_no_multiple_of_the_disk_block_is_written_through_the_page_cache() throws Exception {
    // 1000-byte chunks rule out O_DIRECT: the other pulls here take that path, this one the buffered one.
    fx.with(c -> c.setChunkSize(1000)).start();
    Path source = fx.randomFile("odd.bin", 20_500);
    fx.agent("odd", source);

    JsonObject result = fx.pull("odd");

    assertCompletedCopyOf(source, result);
    assertEquals(21, result.getInteger("totalChunks"));
  }

  @Test
  void a_chunk_corrupted_on_its_first_send_is_retried_and_the_file_is_right() throws Exception {
    fx.start();
    Path source = fx.randomFile("file.bin", 10L * Fixture.CHUNK + 123);
    AtomicInteger sendsOfChunk3 = new AtomicInteger();
    fx.agent("flaky", source, c -> new CorruptingAgent(c, 3, sendsOfChunk3, 1));

    JsonObject result = fx.pull("flaky");

    assertCompletedCopyOf(source, result);
    assertEquals(1, result.getInteger("retries"));
    assertEquals(2, sendsOfChunk3.get());
  }

  @Test
  void a_chunk_corrupt_on_every_send_fails_the_pull_and_leaves_nothing_behind_once_RESUME_TIMEOUT_passed() throws Exception {
    fx.with(c -> c.setResumeTimeout(300)).start(); // a failed pull's verified chunks wait that long for a retry
    Path source = fx.randomFile("file.bin", 10L * Fixture.CHUNK);
    AtomicInteger sends = new AtomicInteger();
    fx.agent("broken", source, c -> new CorruptingAgent(c, 7, sends, Integer.MAX_VALUE));

    JsonObject result = fx.pull("broken");

    assertEquals("failed", result.getString("status"));
    assertEquals("CHUNK_TRANSFER_FAILED", result.getJsonObject("error").getString("code"));
    assertEquals(4, sends.get(), "first send plus MAX_CHUNK_RETRY_ATTEMPTS (3) retries");
    fx.awaitEmptyDownloadDir();
  }

  /**
   * The server keeps received chunks in Netty's pooled memory, which only an explicit release gives back: a frame
   * written, a frame that failed its check, and frames still waiting for the file hash when a pull fails must all be
   * released.
   */
  @Test
  void every_received_chunk_is_released_whether_written_retried_or_dropped() throws Exception {
    try (Leaks leaks = new Leaks()) {
      fx.start();
      Path source = fx.randomFile("file.bin", 10L * Fixture.CHUNK + 123);
      fx.agent("fine", source);
      fx.agent("flaky", source, c -> new CorruptingAgent(c, 3, new AtomicInteger(), 1));
      fx.agent("broken", source, c -> new CorruptingAgent(c, 7, new AtomicInteger(), Integer.MAX_VALUE));

      assertEquals("completed", fx.pull("fine").getString("status"));
      assertEquals("completed", fx.pull("flaky").getString("status")); // chunks 4-9 waited for chunk 3 to be hashed
      assertEquals("failed", fx.pull("broken").getString("status")); // chunks 8-9 were waiting for chunk 7

      leaks.assertNone();
    }
  }

  /** Frames on the bus, in the check pool and waiting for the file hash when the server stops are released too. */
  @Test
  void a_server_stopped_mid_pull_releases_every_frame_it_held() throws Exception {
    fx.with(c -> c.setChunkWindow(64)).start();
    fx.agent("busy", fx.randomFile("file.bin", 400L * Fixture.CHUNK));
    List<ByteBuf> frames = new CopyOnWriteArrayList<>();
    fx.vertx.eventBus().addOutboundInterceptor(delivery -> {
      if (Addresses.DOWNLOADS_CHUNK.equals(delivery.message().address())) {
        frames.add((ByteBuf) delivery.body());
      }
      delivery.next();
    });
    fx.startPull("busy", null);
    for (int i = 0; i < 500 && frames.size() < 100; i++) {
      Thread.sleep(10);
    }

    fx.server.stop().await();

    long held = frames.stream().filter(f -> f.refCnt() > 0).count();
    for (int i = 0; i < 50 && held > 0; i++) { // releases still on their way through the event loops
      Thread.sleep(100);
      held = frames.stream().filter(f -> f.refCnt() > 0).count();
    }
    assertTrue(frames.size() >= 100, "the pull was under way: " + frames.size() + " frames");
    assertEquals(0, held, "frames not released, of " + frames.size());
  }

  @Test
  void a_chunk_lost_on_the_way_is_asked_for_again_after_CHUNK_TIMEOUT() throws Exception {
    fx.with(c -> c.setChunkTimeout(200)).start();
    Path source = fx.randomFile("file.bin", 6L * Fixture.CHUNK);
    AtomicInteger sendsOfChunk2 = new AtomicInteger();
    fx.agent("lossy", source, c -> new AgentVerticle(c) {
      @Override
      protected ByteBuffer prepare(int index, ByteBuffer frame) {
        return index == 2 && sendsOfChunk2.incrementAndGet() == 1 ? null : frame;
      }
    });

    JsonObject result = fx.pull("lossy");

    assertCompletedCopyOf(source, result);
    assertEquals(1, result.getInteger("retries"));
    assertEquals(2, sendsOfChunk2.get(), "chunk 2 was asked for again");
  }

  @Test
  void a_file_that_changes_during_the_pull_fails_FILE_CHECKSUM_FAILED_and_nothing_is_kept() throws Exception {
    fx.start();
    Path source = fx.randomFile("file.bin", 6L * Fixture.CHUNK);
    // Chunk 4 is consistent with its own hash but not with the file the agent announced.
    fx.agent("changing", source, c -> new AgentVerticle(c) {
      @Override
      protected ByteBuffer prepare(int index, ByteBuffer frame) {
        if (index == 4) {
          frame.put(ChunkFrame.HEADER_SIZE, (byte) (frame.get(ChunkFrame.HEADER_SIZE) ^ 1));
          MessageDigest digest = Sha256.digest();
          digest.update(frame.duplicate().position(ChunkFrame.HEADER_SIZE));
          ChunkFrame.writeHeader(frame, ReceivedChunk.requestId(Unpooled.wrappedBuffer(frame.duplicate())), index,
            frame.capacity() - ChunkFrame.HEADER_SIZE, digest.digest());
        }
        return frame;
      }
    });

    JsonObject result = fx.pull("changing");

    assertEquals("failed", result.getString("status"));
    assertEquals("FILE_CHECKSUM_FAILED", result.getJsonObject("error").getString("code"));
    fx.awaitEmptyDownloadDir();
  }

  @Test
  void a_pull_longer_than_DOWNLOAD_TIMEOUT_fails_and_leaves_nothing_behind_once_RESUME_TIMEOUT_passed() throws Exception {
    fx.with(c -> c.setDownloadTimeout(300).setResumeTimeout(300)).start();
    fx.agent("sluggish", fx.randomFile("file.bin", 200L * Fixture.CHUNK),
      c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));

    JsonObject result = fx.pull("sluggish");

    assertEquals("DOWNLOAD_TIMEOUT", result.getJsonObject("error").getString("code"), result::encode);
    assertTrue(result.getInteger("chunksDone") < 200);
    fx.awaitEmptyDownloadDir();
  }

  void assertCompletedCopyOf(Path source, JsonObject result) throws Exception {
    assertEquals("completed", result.getString("status"), () -> result.encodePrettily());
    Path copy = Path.of(result.getJsonObject("file").getString("path"));
    String expected = Fixture.sha256(source);
    assertEquals(expected, Fixture.sha256(copy));
    assertEquals(expected, result.getJsonObject("file").getString("sha256"));
    assertEquals(Files.size(source), Files.size(copy));
    assertTrue(copy.getFileName().toString().endsWith("-" + source.getFileName()), copy.toString());
    assertEquals(java.util.List.of(copy), fx.downloadDirContents(), "only the final file, no temp files");
    assertNotNull(result.getLong("bytesPerSecond"), "a finished pull keeps its average rate");
  }


  /** An agent on a bad link: flips one payload byte of chunk {@code index} on its first {@code badSends} sends. */
  static final class CorruptingAgent extends AgentVerticle {
    private final int index;
    private final AtomicInteger sends;
    private final int badSends;

    CorruptingAgent(AgentConfig config, int index, AtomicInteger sends, int badSends) {
      super(config);
      this.index = index;
      this.sends = sends;
      this.badSends = badSends;
    }

    @Override
    protected ByteBuffer prepare(int i, ByteBuffer frame) {
      if (i == index && sends.incrementAndGet() <= badSends) {
        frame.put(frame.capacity() - 1, (byte) (frame.get(frame.capacity() - 1) ^ 0x55));
      }
      return frame;
    }
  }
}
