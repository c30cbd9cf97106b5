package io.silentmode.server.download;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimitTest {

  private static final int CHUNK = 1000;
  private static final long SECOND = 1_000_000_000L;

  @Test
  void a_bucket_starts_with_one_seconds_worth_and_refills_at_its_rate() {
    RateLimit limit = new RateLimit(10 * CHUNK, CHUNK, 0);
    assertEquals(10, limit.available(CHUNK, 0));
    limit.take(10, CHUNK);
    assertEquals(0, limit.available(CHUNK, 0));
    assertEquals(100, limit.millisUntilChunk(CHUNK, 0));
    assertEquals(5, limit.available(CHUNK, SECOND / 2));
    assertEquals(10, limit.available(CHUNK, 10 * SECOND), "it holds no more than a second's worth");
  }

  @Test
  void a_rate_below_one_chunk_a_second_still_lets_a_chunk_through() {
    RateLimit limit = new RateLimit(CHUNK / 2, CHUNK, 0);
    assertEquals(1, limit.available(CHUNK, 0));
    limit.take(1, CHUNK);
    assertEquals(2000, limit.millisUntilChunk(CHUNK, 0));
  }

  @Test
  void zero_is_no_limit() {
    RateLimit limit = new RateLimit(0, CHUNK, 0);
    assertTrue(limit.unlimited());
    limit.take(1_000_000, CHUNK);
    assertEquals(Integer.MAX_VALUE, limit.available(CHUNK, 0));
  }
}
