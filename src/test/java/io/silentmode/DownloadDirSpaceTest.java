package io.silentmode;

import io.silentmode.PromText.Sample;
import io.silentmode.server.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static io.silentmode.PromText.parse;
import static io.silentmode.PromText.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real server's gauges of DOWNLOAD_DIR's file system: its size, what is usable, followed as files land there, and
 * MIN_FREE_SPACE. DOWNLOAD_DIR is put on /dev/shm where that is another file system than the temp directory DATA_DIR
 * and the working directory are on, so that measuring the wrong directory shows in the size.
 */
class DownloadDirSpaceTest {

  private static final long MIB = 1024 * 1024;
  private static final long MIN_FREE = 12_345_678;

  @TempDir
  Path dir;
  Path volume;
  Vertx vertx;
  Api api;

  @BeforeEach
  void setUp() throws IOException {
    Path shm = Path.of("/dev/shm");
    boolean apart = Files.isDirectory(shm) && Files.isWritable(shm)
      && !Files.getFileStore(shm).equals(Files.getFileStore(dir));
    volume = apart ? Files.createTempDirectory(shm, "silentmode-test-") : dir;
    vertx = Metrics.vertxBuilder("test-node").build();
    // DOWNLOAD_DIR does not exist yet: until the first pull creates it, its parent's file system is the one measured
    Fixture fx = new Fixture(vertx, dir)
      .with(c -> c.setDownloadDir(volume.resolve("downloads").toString()).setMinFreeSpace(MIN_FREE)).start();
    api = fx.api();
  }

  @AfterEach
  void tearDown() throws IOException {
    vertx.close().await();
    if (!volume.equals(dir)) {
      try (Stream<Path> files = Files.walk(volume)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  @Test
  void the_gauges_are_download_dirs_file_system_and_min_free_space() throws IOException {
    FileStore store = Files.getFileStore(volume);
    List<Sample> s = scrape();
    assertEquals(store.getTotalSpace(), value(s, "silentmode_download_dir_size_bytes"), "size of DOWNLOAD_DIR's file system");
    double free = value(s, "silentmode_download_dir_free_bytes");
    assertTrue(Math.abs(free - store.getUsableSpace()) < 64 * MIB, free + " usable, the file system says " + store.getUsableSpace());
    assertEquals(MIN_FREE, value(s, "silentmode_download_dir_min_free_bytes"));
  }

  @Test
  void free_space_follows_a_file_filling_the_file_system() throws Exception {
    double before = value(scrape(), "silentmode_download_dir_free_bytes");
    byte[] block = new byte[(int) MIB];
    try (OutputStream out = Files.newOutputStream(volume.resolve("filler.bin"))) {
      for (int i = 0; i < 128; i++) {
        block[0] = (byte) i; // not all zeros, so no file system may keep it sparse
        out.write(block);
      }
    }
    // the gauge is measured every few seconds: wait for the measurement after the write
    long deadline = System.currentTimeMillis() + 15_000;
    double now;
    do {
      Thread.sleep(100);
      now = value(scrape(), "silentmode_download_dir_free_bytes");
    } while (before - now < 96 * MIB && System.currentTimeMillis() < deadline);
    assertTrue(before - now >= 96 * MIB, "free space went from " + before + " to " + now + " after 128 MiB were written");
  }

  private List<Sample> scrape() {
    HttpResponse<Buffer> response = api.web.get(Metrics.PATH).send().await();
    assertEquals(200, response.statusCode());
    return parse(response.bodyAsString());
  }
}
