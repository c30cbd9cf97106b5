package io.silentmode.agent;

import io.silentmode.protocol.Sha256;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * A hash ahead of a pull and the pulls that come while it runs. The file is large enough that its hash is still
 * under way when the pull, asked for on the same event-loop turn, arrives.
 */
@ExtendWith(VertxExtension.class)
class DigestKeeperTest {

  private static final int CHUNK = 1024 * 1024;
  private static final int SIZE = 48 * CHUNK;

  @TempDir
  Path dir;

  private final List<Boolean> hashes = new CopyOnWriteArrayList<>();

  @Test
  void a_pull_of_the_version_being_hashed_ahead_waits_for_that_hash(Vertx vertx) throws Exception {
    Path served = random("served.bin", 1);

    Future<?>[] both = onContext(vertx, keeper -> new Future<?>[] {
      keeper.ahead(open(served)), keeper.forPull(open(served))});

    FileDigests ahead = (FileDigests) both[0].await();
    assertSame(ahead, both[1].await(), "the pull got the digests of the hash ahead");
    assertEquals(sha256(served), ahead.fileSha256());
    assertEquals(List.of(true), hashes, "hashed once, ahead");
  }

  @Test
  void a_pull_of_another_version_stops_the_hash_ahead_and_hashes_its_own(Vertx vertx) throws Exception {
    Path served = random("served.bin", 2);
    Path next = random("next.bin", 3);

    Future<?>[] both = onContext(vertx, keeper -> {
      Future<FileDigests> ahead = keeper.ahead(open(served));
      Files.move(next, served, StandardCopyOption.REPLACE_EXISTING);
      return new Future<?>[] {ahead, keeper.forPull(open(served))};
    });

    Throwable stopped = assertThrowsFrom(both[0]);
    assertInstanceOf(CancellationException.class, stopped, stopped::toString);
    assertEquals(sha256(served), sha256Of(both[1]));
    assertEquals(List.of(false), hashes, "only the pull's hash ran to the end");
  }

  @Test
  void a_pull_that_joined_a_hash_ahead_is_not_stopped_by_a_pull_of_another_version(Vertx vertx) throws Exception {
    Path served = random("served.bin", 4);
    Path next = random("next.bin", 5);
    String first = sha256(served);

    Future<?>[] all = onContext(vertx, keeper -> {
      Future<FileDigests> ahead = keeper.ahead(open(served));
      Future<FileDigests> joined = keeper.forPull(open(served));
      Files.move(next, served, StandardCopyOption.REPLACE_EXISTING);
      return new Future<?>[] {ahead, joined, keeper.forPull(open(served))};
    });

    assertEquals(first, sha256Of(all[1]), "the joined pull got its version's digests");
    assertEquals(sha256(served), sha256Of(all[2]));
  }

  @Test
  void a_newer_version_stops_the_hash_ahead_of_the_older_one(Vertx vertx) throws Exception {
    Path served = random("served.bin", 6);
    Path next = random("next.bin", 7);

    Future<?>[] both = onContext(vertx, keeper -> {
      Future<FileDigests> older = keeper.ahead(open(served));
      Files.move(next, served, StandardCopyOption.REPLACE_EXISTING);
      return new Future<?>[] {older, keeper.ahead(open(served))};
    });

    assertInstanceOf(CancellationException.class, assertThrowsFrom(both[0]));
    assertEquals(sha256(served), sha256Of(both[1]));
    assertEquals(List.of(true), hashes, "the newer version's digests were kept");
  }

  @Test
  void digests_of_a_file_that_changed_while_it_was_hashed_are_not_kept(Vertx vertx) throws Exception {
    Path served = random("served.bin", 8);
    // Older than the file system clock can give the write below, however coarse its tick: the version changes.
    Files.setLastModifiedTime(served, FileTime.from(Instant.now().minusSeconds(10)));

    Future<?>[] both = onContext(vertx, keeper -> {
      Future<FileDigests> hashing = keeper.ahead(open(served));
      try (FileChannel file = FileChannel.open(served, StandardOpenOption.WRITE)) {
        file.write(ByteBuffer.wrap(new byte[] {1}), SIZE - 1); // same size, new change time
      }
      return new Future<?>[] {hashing, hashing.compose(stale -> keeper.forPull(open(served)))};
    });

    both[0].await();
    assertEquals(sha256(served), sha256Of(both[1]));
    assertEquals(List.of(false), hashes, "the hash ahead kept nothing, so the pull hashed the file itself");
  }

  @Test
  void stopping_stops_every_hash_under_way_and_refuses_new_ones(Vertx vertx) throws Exception {
    Path served = random("served.bin", 9);
    Path next = random("next.bin", 10);

    Future<?>[] all = onContext(vertx, keeper -> {
      Future<FileDigests> first = keeper.forPull(open(served));
      Files.move(next, served, StandardCopyOption.REPLACE_EXISTING);
      Future<FileDigests> second = keeper.forPull(open(served));
      keeper.giveUp();
      return new Future<?>[] {first, second, keeper.forPull(open(served)),
        keeper.ahead(open(served))};
    });

    for (Future<?> hash : all) {
      assertThrowsFrom(hash);
    }
    assertEquals(List.of(), hashes);
  }

  // helpers

  private interface KeeperUse {
    Future<?>[] apply(DigestKeeper keeper) throws Exception;
  }

  /** Runs {@code use} on one event-loop turn of a fresh context, as the agent's verticle uses its keeper. */
  private Future<?>[] onContext(Vertx vertx, KeeperUse use) throws Exception {
    Promise<Future<?>[]> started = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      try {
        started.complete(use.apply(new DigestKeeper(vertx, (file, ahead) -> hashes.add(ahead))));
      } catch (Exception e) {
        started.fail(e);
      }
    });
    return started.future().await();
  }

  private static ServedFile open(Path file) {
    return ServedFile.open(file, null, CHUNK);
  }

  private static String sha256Of(Future<?> digests) {
    return ((FileDigests) digests.await()).fileSha256();
  }

  private static Throwable assertThrowsFrom(Future<?> future) {
    try {
      future.await();
    } catch (Throwable e) {
      return e;
    }
    throw new AssertionError("the hash was not stopped");
  }

  private Path random(String name, long seed) throws Exception {
    byte[] bytes = new byte[SIZE];
    new Random(seed).nextBytes(bytes);
    return Files.write(dir.resolve(name), bytes);
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest digest = Sha256.digest();
    digest.update(Files.readAllBytes(file));
    return Sha256.hex(digest.digest());
  }
}
