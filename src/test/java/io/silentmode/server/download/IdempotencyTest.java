package io.silentmode.server.download;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The keys' lifetimes, on a clock the test moves. */
class IdempotencyTest {

  private static final long TTL = Duration.ofHours(24).toMillis();
  private static final long PENDING = Duration.ofMinutes(5).toMillis();

  private final MovingClock clock = new MovingClock();
  private final Idempotency keys = new Idempotency(TTL, PENDING, clock);
  private final UUID job = UUID.randomUUID();

  @Test
  void a_key_bound_to_a_job_answers_with_it_for_24_hours_then_is_new_again() {
    assertNull(keys.claim("k"));
    keys.bind("k", job, clock.instant());
    clock.advance(TTL);
    assertEquals(job, keys.claim("k"), "still within the window");
    clock.advance(1);
    assertNull(keys.claim("k"), "past the window the key is new, and claimed again");
  }

  @Test
  void a_claim_left_pending_is_released_after_its_bound() {
    assertNull(keys.claim("k"));
    UUID pending = keys.claim("k");
    assertNotNull(pending, "the first request is still being handled");
    clock.advance(PENDING);
    assertEquals(pending, keys.claim("k"));
    clock.advance(1);
    assertNull(keys.claim("k"), "a request that never bound nor released its claim no longer holds the key");
  }

  @Test
  void expire_drops_old_pending_claims_as_well_as_old_bindings() {
    keys.claim("pending");
    keys.claim("bound");
    keys.bind("bound", job, clock.instant());
    clock.advance(PENDING + 1);
    keys.expire();
    assertNull(keys.claim("pending"), "released");
    assertEquals(job, keys.claim("bound"), "a bound key keeps its day");
    clock.advance(TTL);
    keys.expire();
    assertNull(keys.claim("bound"));
  }

  @Test
  void restored_keys_keep_the_window_of_their_job_s_creation() {
    keys.restore("young", job, clock.instant().minus(Duration.ofHours(23)));
    keys.restore("old", UUID.randomUUID(), clock.instant().minus(Duration.ofHours(25)));
    keys.restore(null, UUID.randomUUID(), clock.instant());
    assertEquals(job, keys.claim("young"));
    assertNull(keys.claim("old"), "its day was over before the restart");
    clock.advance(Duration.ofHours(1).toMillis() + 1);
    assertNull(keys.claim("young"), "24 h after its job was created, not after the restart");
  }

  @Test
  void a_key_whose_job_was_deleted_is_new_but_a_key_bound_again_since_is_kept() {
    UUID later = UUID.randomUUID();
    keys.bind("k", job, clock.instant());
    keys.bind("again", later, clock.instant());
    keys.forget("k", job);
    keys.forget("again", job);
    keys.forget(null, job);
    assertNull(keys.claim("k"));
    assertEquals(later, keys.claim("again"), "only the deleted job's binding goes");
  }

  @Test
  void a_released_claim_frees_the_key_at_once() {
    keys.claim("k");
    keys.release("k");
    assertNull(keys.claim("k"));
  }

  private static final class MovingClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(long millis) {
      now = now.plusMillis(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
