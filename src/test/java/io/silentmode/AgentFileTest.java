package io.silentmode;

import io.netty.buffer.Unpooled;
import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.ReceivedChunk;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The agent serves only its configured file, says clearly why it cannot, and notices when it changes. */
@ExtendWith(VertxExtension.class)
class AgentFileTest {

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).start();
  }

  @Test
  void a_missing_file_fails_with_FILE_NOT_FOUND() throws Exception {
    fx.agent("shop-1", dir.resolve("not-there.txt"));

    assertFailed("FILE_NOT_FOUND", fx.pull("shop-1"));
  }

  @Test
  void an_unreadable_file_fails_with_PERMISSION_DENIED() throws Exception {
    assumeFalse("root".equals(System.getProperty("user.name")), "root reads files whatever their mode");
    Path secret = fx.randomFile("secret.txt", 100);
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
    fx.agent("shop-2", secret);

    assertFailed("PERMISSION_DENIED", fx.pull("shop-2"));
  }

  @Test
  void a_path_the_agent_does_not_serve_is_refused_with_PERMISSION_DENIED() throws Exception {
    Path served = fx.randomFile("served.txt", 100);
    Path other = fx.randomFile("other.txt", 100);
    fx.agent("shop-3", served);

    assertFailed("PERMISSION_DENIED", fx.awaitFinal(fx.startPull("shop-3", other.toString())));
    assertFailed("PERMISSION_DENIED", fx.awaitFinal(fx.startPull("shop-3", "/etc/passwd")));
    String around = dir.resolve("sub/../other.txt").toString();
    assertFailed("PERMISSION_DENIED", fx.awaitFinal(fx.startPull("shop-3", around)));
  }

  @Test
  void the_served_file_may_be_named_by_any_path_that_resolves_to_it() throws Exception {
    Path served = fx.randomFile("served.txt", 1000);
    Files.createDirectory(dir.resolve("sub"));
    fx.agent("shop-4", served);

    JsonObject result = fx.awaitFinal(fx.startPull("shop-4", dir.resolve("sub/../served.txt").toString()));

    assertEquals("completed", result.getString("status"), result::encode);
    assertEquals(Fixture.sha256(served), result.getJsonObject("file").getString("sha256"));
  }

  @Test
  void a_file_rewritten_between_pulls_is_hashed_again() throws Exception {
    Path served = fx.randomFile("daily.txt", 3L * Fixture.CHUNK);
    fx.agent("shop-5", served);
    String first = fx.pull("shop-5").getJsonObject("file").getString("sha256");
    assertEquals(Fixture.sha256(served), first);

    // Same name, same size, new bytes: the digests the agent kept from the first pull no longer hold.
    FileTime before = Files.getLastModifiedTime(served);
    byte[] bytes = Files.readAllBytes(served);
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) ~bytes[i];
    }
    Files.write(served, bytes);
    Files.setLastModifiedTime(served, FileTime.fromMillis(before.toMillis() + 1000));
    JsonObject second = fx.pull("shop-5");

    assertEquals("completed", second.getString("status"), second::encode);
    assertEquals(0, second.getInteger("retries"));
    assertNotEquals(first, second.getJsonObject("file").getString("sha256"));
    assertEquals(Fixture.sha256(served), second.getJsonObject("file").getString("sha256"));
    assertArrayEquals(Files.readAllBytes(served), Files.readAllBytes(Path.of(second.getJsonObject("file").getString("path"))));
  }

  @Test
  void a_file_that_changes_on_disk_during_a_pull_fails_FILE_CHECKSUM_FAILED_at_the_first_retry() throws Exception {
    Path served = fx.randomFile("live.txt", 6L * Fixture.CHUNK);
    fx.agent("shop-6", served, c -> new AgentVerticle(c) {
      @Override
      protected ByteBuffer prepare(int index, ByteBuffer frame) {
        if (index == 0) { // chunk 3 is read after this: it no longer matches the digest announced
          try (FileChannel file = FileChannel.open(served, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 3L * Fixture.CHUNK + 10);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        return frame;
      }
    });

    JsonObject result = fx.pull("shop-6");

    assertEquals("failed", result.getString("status"));
    assertEquals("FILE_CHECKSUM_FAILED", result.getJsonObject("error").getString("code"), result::encode);
    assertTrue(result.getJsonObject("error").getString("message").contains("changed while being served"), result::encode);
    assertEquals(1, result.getInteger("retries"), "the agent noticed at the first retry");
    fx.awaitEmptyDownloadDir();
  }

  @Test
  void a_file_left_unchanged_is_hashed_ahead_and_its_pulls_hash_nothing() throws Exception {
    Path served = fx.randomFile("ahead.txt", 3L * Fixture.CHUNK + 5);
    BlockingQueue<Boolean> hashes = new LinkedBlockingQueue<>();
    fx.agent("shop-7", served, c -> new AgentVerticle(new AgentConfig(c.clientId(), c.serverUrl(), c.filePath(),
      c.reconnectInterval(), c.maxReconnectAttempts(), 100, c.stateFile(), c.enrollmentToken())) {
      @Override
      protected void hashed(boolean ahead) {
        hashes.add(ahead);
      }
    });

    assertEquals(Boolean.TRUE, hashes.poll(10, TimeUnit.SECONDS), "hashed ahead, with no pull asked for");
    assertPulledWhole(served, fx.pull("shop-7"));

    // A new version, put in place as a whole: hashed ahead again, once it stays the same for the delay.
    Path next = fx.randomFile("ahead.next", 2L * Fixture.CHUNK);
    Files.move(next, served, StandardCopyOption.REPLACE_EXISTING);
    assertEquals(Boolean.TRUE, hashes.poll(10, TimeUnit.SECONDS), "the new version hashed ahead");
    assertPulledWhole(served, fx.pull("shop-7"));
    assertPulledWhole(served, fx.pull("shop-7"));

    assertEquals(List.of(), List.copyOf(hashes), "no pull hashed the file");
  }

  /**
   * Bytes that pass their chunk checks but not the file's: the server cancels with FILE_CHECKSUM_FAILED, and the
   * agent must not announce the same digest again. The next pull hashes the file anew.
   */
  @Test
  void after_the_server_finds_the_file_differs_from_its_digest_the_agent_hashes_it_again() throws Exception {
    Path served = fx.randomFile("forged.txt", 3L * Fixture.CHUNK);
    BlockingQueue<Boolean> hashes = new LinkedBlockingQueue<>();
    AtomicBoolean forge = new AtomicBoolean(true);
    fx.agent("shop-8", served, c -> new AgentVerticle(c) {
      @Override
      protected ByteBuffer prepare(int index, ByteBuffer frame) {
        if (index == 1 && forge.getAndSet(false)) { // another byte, and the header hash of the bytes sent
          frame.put(ChunkFrame.HEADER_SIZE, (byte) ~frame.get(ChunkFrame.HEADER_SIZE));
          MessageDigest digest = Sha256.digest();
          digest.update(frame.duplicate().position(ChunkFrame.HEADER_SIZE));
          ChunkFrame.writeHeader(frame, ReceivedChunk.requestId(Unpooled.wrappedBuffer(frame.duplicate())), index,
            frame.capacity() - ChunkFrame.HEADER_SIZE, digest.digest());
        }
        return frame;
      }

      @Override
      protected void hashed(boolean ahead) {
        hashes.add(ahead);
      }
    });

    JsonObject forged = fx.pull("shop-8");
    assertEquals("FILE_CHECKSUM_FAILED", forged.getJsonObject("error").getString("code"), forged::encode);
    assertEquals(Boolean.FALSE, hashes.poll(), "the first pull hashed the file");
    fx.awaitEmptyDownloadDir();

    assertPulledWhole(served, fx.pull("shop-8"));
    assertEquals(Boolean.FALSE, hashes.poll(), "the second pull hashed it again");
  }

  private static void assertPulledWhole(Path served, JsonObject result) throws Exception {
    assertEquals("completed", result.getString("status"), result::encode);
    assertEquals(0, result.getInteger("retries"), result::encode);
    assertEquals(Fixture.sha256(served), result.getJsonObject("file").getString("sha256"));
  }

  private void assertFailed(String code, JsonObject result) throws Exception {
    assertEquals("failed", result.getString("status"));
    assertEquals(code, result.getJsonObject("error").getString("code"), result::encode);
    assertTrue(result.getJsonObject("error").getString("message").contains("shop-"), "names the agent");
    assertTrue(fx.downloadDirContents().isEmpty());
  }
}
