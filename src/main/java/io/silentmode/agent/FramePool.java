package io.silentmode.agent;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Reuses the frame arrays of one pull, so that serving a full chunk allocates nothing: an array goes back once its
 * message has been written. At most the server's window of arrays is ever out. Safe from any thread: arrays are
 * taken on worker threads and given back on the event loop.
 */
final class FramePool {

  private final int frameSize;
  private final Queue<byte[]> free = new ConcurrentLinkedQueue<>();

  FramePool(int frameSize) {
    this.frameSize = frameSize;
  }

  /** An array of exactly {@code length} bytes; only full frames come from the pool. */
  byte[] take(int length) {
    byte[] frame = length == frameSize ? free.poll() : null;
    return frame != null ? frame : new byte[length];
  }

  void give(byte[] frame) {
    if (frame.length == frameSize) {
      free.offer(frame);
    }
  }
}
