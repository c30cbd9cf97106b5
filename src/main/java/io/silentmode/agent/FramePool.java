package io.silentmode.agent;

import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Reuses direct buffers of one size, so that serving a full chunk allocates nothing: the agent keeps one pool for
 * the chunk frames it reads from the file and one for the same frames encoded for the wire. Direct, so that the
 * file is read into them and the socket writes from them without a copy through the heap. Safe from any thread:
 * buffers are taken on worker threads and given back on the event loop.
 */
final class FramePool {

  private final int size;
  private final Queue<ByteBuffer> free = new ConcurrentLinkedQueue<>();

  FramePool(int size) {
    this.size = size;
  }

  int size() {
    return size;
  }

  /** A buffer of exactly {@code length} bytes, position 0 and limit {@code length}; only full-size ones are reused. */
  ByteBuffer take(int length) {
    ByteBuffer buffer = length == size ? free.poll() : null;
    return buffer != null ? buffer.clear() : ByteBuffer.allocateDirect(length);
  }

  void give(ByteBuffer buffer) {
    if (buffer.capacity() == size) {
      free.offer(buffer);
    }
  }
}
