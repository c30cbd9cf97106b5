package io.silentmode;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  /**
   * A leak is reported once the collector has taken an unreleased buffer and another buffer is allocated. So a
   * canary buffer is leaked on purpose, after the test: once its own report arrives, the collector has run since
   * every buffer of the test became garbage, and their reports are in too.
   */
  void assertNone() throws InterruptedException {
    String canary = "leak canary " + UUID.randomUUID();
    PooledByteBufAllocator.DEFAULT.directBuffer(1).touch(canary);
    long deadline = System.currentTimeMillis() + 10_000;
    while (reported.stream().noneMatch(r -> r.contains(canary))) {
      assertTrue(System.currentTimeMillis() < deadline, "the leak detector never reported the canary");
      System.gc();
      Thread.sleep(10);
      PooledByteBufAllocator.DEFAULT.directBuffer(1).release();
    }
    assertEquals(List.of(), reported.stream().filter(r -> !r.contains(canary)).toList());
  }

  @Override
  public void close() {
    ByteBufUtil.setLeakListener(null);
    ResourceLeakDetector.setLevel(level);
  }
}
