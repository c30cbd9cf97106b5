package io.silentmode.server.download;

/**
 * A token bucket over bytes: MAX_PULL_RATE for one pull, MAX_TOTAL_RATE for all. Chunks are asked for only as the
 * bucket allows, so the agent sends no faster than the rate (plus a burst of at most one second's worth), and the
 * window's backpressure keeps working underneath. A rate of 0 means no limit. Used on the orchestrator's event loop.
 */
final class RateLimit {

  private final long bytesPerSecond;
  private final double capacity;
  private double tokens;
  private long lastNanos;

  RateLimit(long bytesPerSecond, int chunkSize, long nowNanos) {
    this.bytesPerSecond = bytesPerSecond;
    this.capacity = Math.max(chunkSize, bytesPerSecond);
    this.tokens = capacity;
    this.lastNanos = nowNanos;
  }

  boolean unlimited() {
    return bytesPerSecond == 0;
  }

  /** How many chunks of {@code chunkSize} the bucket holds now. */
  int available(int chunkSize, long nowNanos) {
    if (unlimited()) {
      return Integer.MAX_VALUE;
    }
    refill(nowNanos);
    return (int) Math.min(Integer.MAX_VALUE, (long) (tokens / chunkSize));
  }

  void take(int chunks, int chunkSize) {
    if (!unlimited()) {
      tokens -= (double) chunks * chunkSize;
    }
  }

  /** Milliseconds until the bucket holds one more chunk, at least 1. */
  long millisUntilChunk(int chunkSize, long nowNanos) {
    refill(nowNanos);
    double missing = chunkSize - tokens;
    return missing <= 0 ? 1 : Math.max(1, (long) Math.ceil(missing * 1000 / bytesPerSecond));
  }

  private void refill(long nowNanos) {
    tokens = Math.min(capacity, tokens + (nowNanos - lastNanos) / 1e9 * bytesPerSecond);
    lastNanos = nowNanos;
  }
}
