package io.silentmode.server.download;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Idempotency keys of job creation (IETF draft "The Idempotency-Key HTTP Header Field"): a key is claimed while
 * its first request is handled, then bound to the job it made, for {@code ttlMillis}. Owned by the orchestrator.
 */
final class Idempotency {

  /** A claimed key whose job is not recorded yet. */
  private static final UUID PENDING = new UUID(0, 0);

  private record Entry(UUID requestId, Instant at) {
  }

  private final long ttlMillis;
  private final Map<String, Entry> keys = new HashMap<>();

  Idempotency(long ttlMillis) {
    this.ttlMillis = ttlMillis;
  }

  /**
   * Null when the key is new, and claims it; else the job the key made, or a UUID no job has (the key's first
   * request is still being handled).
   */
  UUID claim(String key) {
    Entry entry = keys.get(key);
    if (entry != null && !expired(entry)) {
      return entry.requestId;
    }
    keys.put(key, new Entry(PENDING, Instant.now()));
    return null;
  }

  void bind(String key, UUID requestId, Instant at) {
    keys.put(key, new Entry(requestId, at));
  }

  void release(String key) {
    keys.remove(key);
  }

  void restore(String key, UUID requestId, Instant at) {
    if (key != null) {
      Entry entry = new Entry(requestId, at);
      if (!expired(entry)) {
        keys.put(key, entry);
      }
    }
  }

  void expire() {
    keys.values().removeIf(e -> e.requestId != PENDING && expired(e));
  }

  private boolean expired(Entry entry) {
    return entry.at.plusMillis(ttlMillis).isBefore(Instant.now());
  }
}
