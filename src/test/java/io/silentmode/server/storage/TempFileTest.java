package io.silentmode.server.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Chunks land at their offsets, in any order, through O_DIRECT or the page cache. */
class TempFileTest {

  private static final int CHUNK = 64 * 1024;

  @TempDir
  Path dir;

  @Test
  void on_ext4_or_xfs_the_file_is_written_with_O_DIRECT_and_the_padding_of_the_last_chunk_is_cut_off() throws Exception {
    assumeTrue(List.of("ext4", "xfs").contains(Files.getFileStore(dir).type()), "a file system known to take O_DIRECT");
    byte[] bytes = random(3 * CHUNK + 100);
    Path path = dir.resolve(".direct.part");
    try (TempFile file = TempFile.create(path, CHUNK)) {
      assertTrue(file.direct());
      writeInOrder(file, CHUNK, bytes, 3, 0, 2, 1); // the short last chunk first: the file is longer than it should be

      file.finish(bytes.length);
    }
    assertArrayEquals(bytes, Files.readAllBytes(path));
  }

  @Test
  void a_chunk_size_that_is_no_multiple_of_4_KiB_is_written_through_the_page_cache() throws Exception {
    int chunk = 1000;
    byte[] bytes = random(5 * chunk + 1);
    Path path = dir.resolve(".buffered.part");
    try (TempFile file = TempFile.create(path, chunk)) {
      assertFalse(file.direct());
      writeInOrder(file, chunk, bytes, 5, 1, 0, 4, 3, 2);
      file.finish(bytes.length);
    }
    assertArrayEquals(bytes, Files.readAllBytes(path));
  }

  private static void writeInOrder(TempFile file, int chunk, byte[] bytes, int... indexes) throws Exception {
    TempFile.Scratch scratch = new TempFile.Scratch();
    for (int i : indexes) {
      file.write(i, pieces(bytes, i * chunk, Math.min(bytes.length, (i + 1) * chunk)), scratch);
    }
  }

  /** A chunk as the gateway hands it on: several fragments. */
  private static ByteBuffer[] pieces(byte[] bytes, int from, int to) {
    int middle = from + (to - from) / 3;
    return new ByteBuffer[] {
      ByteBuffer.wrap(Arrays.copyOfRange(bytes, from, middle)), ByteBuffer.wrap(Arrays.copyOfRange(bytes, middle, to))};
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }
}
