package io.silentmode.server.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Heap arrays for the payloads of WebSocket frames of exactly {@link #SIZE} bytes, the size agents send chunk
 * messages in, given back when the frame is released and handed out again.
 * <p>
 * From Netty's pool, such payloads fill 4 MiB pool chunks that the pool frees as soon as they are empty and
 * allocates again as frames come and go. Each new pool chunk is a humongous object for G1, and its allocation may
 * start a concurrent marking cycle: about 150 in 14 GiB of pulls were measured, about 10 with these arrays.
 * Released frames give their array back from any thread; at most {@code keep} arrays wait here, more are left to
 * the collector.
 */
final class FrameArrays {

  static final int SIZE = 64 * 1024;

  private final Queue<byte[]> free = new ConcurrentLinkedQueue<>();
  private final AtomicInteger kept = new AtomicInteger();
  private final int keep;

  FrameArrays(int keep) {
    this.keep = keep;
  }

  /** An empty buffer of {@link #SIZE} bytes, capacity and maximum capacity alike. */
  ByteBuf take() {
    byte[] array = free.poll();
    if (array == null) {
      array = new byte[SIZE];
    } else {
      kept.decrementAndGet();
    }
    return new Recycled(array);
  }

  /** How many arrays wait to be handed out again. */
  int kept() {
    return kept.get();
  }

  private final class Recycled extends UnpooledHeapByteBuf {

    Recycled(byte[] array) {
      super(UnpooledByteBufAllocator.DEFAULT, array, SIZE);
      clear();
    }

    @Override
    protected void freeArray(byte[] array) {
      if (array.length != SIZE) {
        return; // not one of ours: the buffer cannot grow, but it could be shrunk
      }
      if (kept.incrementAndGet() <= keep) {
        free.offer(array);
      } else {
        kept.decrementAndGet();
      }
    }
  }
}
