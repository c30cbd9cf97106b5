package io.silentmode.agent;

import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Reuses the buffers chunk frames are read into and sent from, so that serving a full chunk allocates nothing: a
 * buffer goes back once its message has been written, and at most the server's window of them is ever out. They
 * are direct buffers: the file is read into them and the socket writes from them without a copy through the heap.
 * Safe from any thread: buffers are taken on worker threads and given back on the event loop.
 */
final class FramePool {

  private final int frameSize;
  private final Queue<ByteBuffer> free = new ConcurrentLinkedQueue<>();

  FramePool(int frameSize) {
    this.frameSize = frameSize;
  }

  int frameSize() {
    return frameSize;
  }

  /** A buffer of exactly {@code length} bytes, position 0 and limit {@code length}; only full frames are reused. */
  ByteBuffer take(int length) {
    ByteBuffer frame = length == frameSize ? free.poll() : null;
    return frame != null ? frame.clear() : ByteBuffer.allocateDirect(length);
  }

  void give(ByteBuffer frame) {
    if (frame.capacity() == frameSize) {
      free.offer(frame);
    }
  }
}
