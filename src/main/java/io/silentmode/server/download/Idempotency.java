package io.silentmode.server.download;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Idempotency keys of job (and batch) creation (IETF draft "The Idempotency-Key HTTP Header Field"): a key is claimed while
 * its first request is handled, then bound to the job it made, for {@code ttlMillis} from the job's creation.
 * Bound keys come back after a restart from the job records ({@link #restore}); a key lives no longer than its
 * job's record ({@link #forget}). One per owner: the orchestrator (pulls) and the batch verticle (batches).
 */
public final class Idempotency {

  /** What {@link #claim} answers for a key whose first request is still being handled: no job has this id. */
  private static final UUID PENDING = new UUID(0, 0);
  /**
   * How long a claim may stay unbound before it is released. Creating a job takes two event-bus requests (the
   * registry, the job store), each failed by the bus after 30 s; a claim older than this belongs to a request that
   * will never bind nor release it, and would otherwise refuse its key with IDEMPOTENCY_KEY_IN_USE for a day.
   */
  static final long PENDING_MILLIS = 5 * 60_000L;

  private record Entry(UUID requestId, Instant at) {
  }

  private final long ttlMillis;
  private final long pendingMillis;
  private final Clock clock;
  private final Map<String, Entry> keys = new HashMap<>();

  public Idempotency(long ttlMillis) {
    this(ttlMillis, PENDING_MILLIS, Clock.systemUTC());
  }

  Idempotency(long ttlMillis, long pendingMillis, Clock clock) {
    this.ttlMillis = ttlMillis;
    this.pendingMillis = pendingMillis;
    this.clock = clock;
  }

  /**
   * Null when the key is new, and claims it; else the job the key made, or a UUID no job has (the key's first
   * request is still being handled).
   */
  public UUID claim(String key) {
    Entry entry = keys.get(key);
    if (entry != null && !expired(entry)) {
      return entry.requestId;
    }
    keys.put(key, new Entry(PENDING, clock.instant()));
    return null;
  }

  public void bind(String key, UUID requestId, Instant at) {
    keys.put(key, new Entry(requestId, at));
  }

  public void release(String key) {
    keys.remove(key);
  }

  public void restore(String key, UUID requestId, Instant at) {
    if (key != null) {
      Entry entry = new Entry(requestId, at);
      if (!expired(entry)) {
        keys.put(key, entry);
      }
    }
  }

  /** The job's record is deleted (JOB_RETENTION): its key, if still bound to it, makes a new job from now on. */
  public void forget(String key, UUID requestId) {
    Entry entry = keys.get(key);
    if (entry != null && entry.requestId.equals(requestId)) {
      keys.remove(key);
    }
  }

  public void expire() {
    keys.values().removeIf(this::expired);
  }

  private boolean expired(Entry entry) {
    long life = entry.requestId.equals(PENDING) ? pendingMillis : ttlMillis;
    return entry.at.plusMillis(life).isBefore(clock.instant());
  }
}
