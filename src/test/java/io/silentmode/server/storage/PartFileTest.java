package io.silentmode.server.storage;

import io.netty.buffer.Unpooled;
import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.storage.SumsFile.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Kept part files are trusted only as far as their bytes, read back, match their recorded sums. */
class PartFileTest {

  private static final int CHUNK = 64 * 1024;
  private static final int CHUNKS = 8;
  private static final long SIZE = CHUNKS * (long) CHUNK - 100;

  @TempDir
  Path dir;
  private final byte[] content = new byte[(int) SIZE];
  private Version version;

  @Test
  void a_resume_starts_from_the_verified_prefix_and_its_file_hash_matches_the_whole_file() throws Exception {
    writeChunks(0, 1, 2, 3, 5, 7);

    PartFile kept = PartFile.resume(dir, "p", dir.resolve("out"), version, CHUNKS);
    assertEquals(4, kept.verifiedChunks(), "chunks past the first gap are fetched again");
    assertEquals(4L * CHUNK, kept.verifiedBytes());
    for (int index = 4; index < CHUNKS; index++) {
      kept.write(index, new ByteBuffer[] {chunk(index)}, Sha256.digest().digest(bytes(index)), new TempFile.Scratch());
      kept.hash(index, Unpooled.wrappedBuffer(frame(index)));
    }
    assertEquals(Sha256.hex(Sha256.digest().digest(content)), kept.fileHash());
    kept.publish();
    assertEquals(Sha256.hex(Sha256.digest().digest(content)), Sha256.hex(Sha256.digest().digest(Files.readAllBytes(dir.resolve("out")))));
  }

  @Test
  void a_chunk_whose_bytes_no_longer_match_its_sum_ends_the_prefix() throws Exception {
    writeChunks(0, 1, 2, 3, 4, 5, 6, 7);
    try (FileChannel part = FileChannel.open(PartFile.partPath(dir, "p"), StandardOpenOption.WRITE)) {
      part.write(ByteBuffer.wrap(new byte[] {(byte) ~content[2 * CHUNK + 17]}), 2L * CHUNK + 17);
    }
    assertEquals(2, PartFile.resume(dir, "p", dir.resolve("out"), version, CHUNKS).verifiedChunks());
  }

  @Test
  void part_files_of_another_version_or_without_sums_are_not_resumed() throws Exception {
    writeChunks(0, 1);
    assertNull(PartFile.resume(dir, "p", dir.resolve("out"), new Version(SIZE, CHUNK, "11".repeat(32)), CHUNKS));
    assertNull(PartFile.resume(dir, "p", dir.resolve("out"), new Version(SIZE + 1, CHUNK, version.sha256()), CHUNKS));
    Files.delete(PartFile.sumsPath(dir, "p"));
    assertNull(PartFile.resume(dir, "p", dir.resolve("out"), version, CHUNKS));
  }

  @Test
  void the_sweep_takes_part_files_by_their_uuid_and_never_a_final_file_that_looks_like_one() throws Exception {
    String owned = UUID.randomUUID().toString();
    String stray = UUID.randomUUID().toString();
    for (String name : List.of("." + owned + ".part", "." + owned + ".sums", "." + stray + ".part", "." + stray + ".sums",
      ".shop-20260101T000000.000Z-backup.part", "shop-20260101T000000.000Z-f.sums")) {
      Files.createFile(dir.resolve(name));
    }
    assertEquals(List.of("." + stray + ".part", "." + stray + ".sums"),
      PartFile.unowned(dir, Set.of(owned), Instant.MAX).stream().map(f -> f.getFileName().toString()).sorted().toList());
  }

  @Test
  void in_a_shared_download_dir_the_sweep_leaves_part_files_another_member_may_still_use() throws Exception {
    String recent = UUID.randomUUID().toString();
    String old = UUID.randomUUID().toString();
    Files.createFile(dir.resolve("." + recent + ".part"));
    Path stale = Files.createFile(dir.resolve("." + old + ".part"));
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    assertEquals(List.of(stale), PartFile.unowned(dir, Set.of(), Instant.now().minus(Duration.ofHours(1))));
  }

  /** A pull that wrote these chunks, then stopped. */
  private void writeChunks(int... indexes) throws IOException {
    new SplittableRandom(7).nextBytes(content);
    version = new Version(SIZE, CHUNK, Sha256.hex(Sha256.digest().digest(content)));
    PartFile part = PartFile.create(dir, "p", dir.resolve("out"), version, CHUNKS);
    for (int index : indexes) {
      part.write(index, new ByteBuffer[] {chunk(index)}, Sha256.digest().digest(bytes(index)), new TempFile.Scratch());
    }
    part.close();
  }

  private byte[] bytes(int index) {
    int from = index * CHUNK;
    return Arrays.copyOfRange(content, from, (int) Math.min(SIZE, from + (long) CHUNK));
  }

  private ByteBuffer chunk(int index) {
    return ByteBuffer.wrap(bytes(index));
  }

  private ByteBuffer frame(int index) {
    byte[] payload = bytes(index);
    ByteBuffer frame = ByteBuffer.allocate(ChunkFrame.HEADER_SIZE + payload.length)
      .put(ChunkFrame.HEADER_SIZE, payload);
    ChunkFrame.writeHeader(frame, UUID.randomUUID(), index, payload.length,
      Sha256.digest().digest(payload));
    return frame;
  }
}
