package io.silentmode;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Netty's leak detector at its strictest while a test runs, and what it reports: the server keeps received frames
 * in pooled memory, which only an explicit release gives back. Covers the buffers allocated from Netty's allocators
 * after it is opened. The 64 KiB payloads the gateway reads into its own recycled arrays are not among them, but
 * a chunk message of the tests' chunk size also has a last, shorter frame from the pool, so a message left
 * unreleased is still caught.
 */
final class Leaks implements AutoCloseable {

  private final ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
  private final List<String> reported = new CopyOnWriteArrayList<>();

  Leaks() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ByteBufUtil.setLeakListener((type, records) -> reported.add(type + " " + records));
  }

  /** A leak is reported once the collector has taken an unreleased buffer and another buffer is allocated. */
  void assertNone() throws InterruptedException {
    for (int i = 0; i < 3 && reported.isEmpty(); i++) {
      System.gc();
      Thread.sleep(50);
      PooledByteBufAllocator.DEFAULT.directBuffer(1).release();
    }
    assertEquals(List.of(), reported);
  }

  @Override
  public void close() {
    ByteBufUtil.setLeakListener(null);
    ResourceLeakDetector.setLevel(level);
  }
}
