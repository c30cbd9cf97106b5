package io.silentmode.agent;

import io.netty.buffer.Unpooled;
import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.ReceivedChunk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's side of a chunk: digests kept or not, and a frame's header. */
class ServedFileTest {

  @TempDir
  Path dir;

  @Test
  void the_kept_chunk_digests_are_those_of_the_chunks() throws Exception {
    byte[] bytes = random(10_000);
    try (ServedFile file = open(bytes, 3000)) {
      assertTrue(file.keepsChunkDigests());
      byte[] kept = file.chunkSha256s();
      assertEquals(4 * ChunkFrame.SHA_SIZE, kept.length);
      for (int i = 0; i < 4; i++) {
        byte[] expected = sha256(Arrays.copyOfRange(bytes, i * 3000, Math.min(bytes.length, (i + 1) * 3000)));
        assertArrayEquals(expected, Arrays.copyOfRange(kept, i * 32, i * 32 + 32), "chunk " + i);
      }
      assertEquals(Sha256.hex(sha256(bytes)), file.sha256());
    }
  }

  @Test
  void a_file_of_too_many_chunks_keeps_no_chunk_digests_and_hashes_each_frame_as_it_reads_it() throws Exception {
    byte[] bytes = random(ServedFile.MAX_KEPT_CHUNKS + 1);
    try (ServedFile file = open(bytes, 1)) {
      assertFalse(file.keepsChunkDigests());
      int last = ServedFile.MAX_KEPT_CHUNKS;
      ByteBuffer frame = ByteBuffer.allocateDirect(file.frameLength(last));

      file.readFrame(UUID.randomUUID(), last, frame, null, false);

      assertArrayEquals(sha256(new byte[] {bytes[last]}), ReceivedChunk.sha256(Unpooled.wrappedBuffer(frame.duplicate())));
      assertEquals(bytes[last], frame.get(ChunkFrame.HEADER_SIZE));
    }
  }

  @Test
  void a_recheck_that_finds_other_bytes_than_the_kept_digest_says_the_file_changed() throws Exception {
    byte[] bytes = random(5000);
    try (ServedFile file = open(bytes, 1000)) {
      byte[] stale = sha256(new byte[1000]);
      ByteBuffer frame = ByteBuffer.allocateDirect(file.frameLength(2));

      file.readFrame(UUID.randomUUID(), 2, frame, stale, false); // without a recheck the kept digest is trusted
      assertArrayEquals(stale, ReceivedChunk.sha256(Unpooled.wrappedBuffer(frame.duplicate())));
      PullException e = assertThrows(PullException.class, () -> file.readFrame(UUID.randomUUID(), 2, frame, stale, true));
      assertEquals(ErrorCode.FILE_CHECKSUM_FAILED, e.code());
    }
  }

  private ServedFile open(byte[] bytes, int chunkSize) throws Exception {
    Path path = dir.resolve("served.bin");
    Files.write(path, bytes);
    return ServedFile.open(path, null, chunkSize);
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }

  private static byte[] sha256(byte[] bytes) {
    MessageDigest digest = Sha256.digest();
    return digest.digest(bytes);
  }
}
