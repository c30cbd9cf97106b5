package io.silentmode.server.download;

import io.silentmode.server.download.Pull.Status;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobBookTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final JobBook book = new JobBook();

  @Test
  void oneActivePullPerAgentAndTheOldestQueuedGoesNext() {
    Pull first = job("a", 1);
    Pull second = job("a", 2);
    Pull third = job("a", 3);
    book.start(first, "c1");
    assertSame(first, book.activeOf("a"));
    assertSame(first, book.active(first.requestId.toString(), "a"));
    assertNull(book.active(second.requestId.toString(), "a"), "a message about another pull of the agent");
    assertNull(book.active(first.requestId.toString(), "b"), "a message from another agent");
    assertThrows(IllegalStateException.class, () -> book.start(second, "c1"));
    assertEquals(Status.QUEUED, second.status, "a refused start leaves the job queued");

    assertTrue(book.end(first, Status.COMPLETED), "the agent is free again");
    assertNull(book.activeOf("a"));
    assertSame(second, book.next(id -> true).orElseThrow());
    assertTrue(book.next(id -> !id.equals("a")).isEmpty(), "an agent that is not connected starts nothing");
    assertEquals(2, book.positionOf(third));
    assertFalse(book.end(third, Status.FAILED), "a queued job ending frees no agent");
    assertEquals(0, book.positionOf(third));
  }

  @Test
  void aPausedPullFreesItsAgentAndOneThatResumesByItselfGoesBeforeTheQueued() {
    Pull queued = job("a", 1);
    Pull running = job("a", 2);
    book.start(running, "c1");
    assertTrue(book.pause(running, Pull.PauseReason.OPERATOR, T0), "the agent is free");
    assertNull(book.activeOf("a"));
    assertSame(queued, book.next(id -> true).orElseThrow(), "an operator's pause waits for the operator");

    book.pause(running, Pull.PauseReason.AGENT_DISCONNECTED, T0);
    assertSame(running, book.next(id -> true).orElseThrow(), "work already done finishes first");
    assertEquals(2, book.positionOf(queued));
    book.start(running, "c2");
    assertEquals(1, running.resumes);
    assertNull(running.pausedReason);
    assertFalse(JobBook.allowed(Status.PAUSED, Status.COMPLETED), "a paused pull completes only after it ran again");
  }

  @Test
  void aPullPausedBeforeItEverRanStartsWithoutCountingAResume() {
    Pull pull = job("a", 1);
    book.pause(pull, Pull.PauseReason.OPERATOR, T0);
    book.start(pull, "c1");
    assertEquals(0, pull.resumes);
    assertNotNull(pull.startedAt);
  }

  @Test
  void anEndedJobStaysEnded() {
    Pull pull = job("a", 1);
    book.start(pull, "c1");
    book.end(pull, Status.CANCELLED);
    assertThrows(IllegalStateException.class, () -> book.end(pull, Status.COMPLETED));
    assertThrows(IllegalStateException.class, () -> book.start(pull, "c2"));
    assertFalse(JobBook.allowed(Status.QUEUED, Status.COMPLETED), "a pull completes only after it ran");
    assertTrue(JobBook.allowed(Status.QUEUED, Status.FAILED));
  }

  @Test
  void pagesNewestFirstWithACursor() {
    List<Pull> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(job(i % 2 == 0 ? "a" : "b", i));
    }
    JobBook.Page first = book.page(null, null, null, 2, null);
    assertEquals(List.of(all.get(4), all.get(3)), first.items());
    JobBook.Page second = book.page(null, null, null, 2, first.nextCursor());
    assertEquals(List.of(all.get(2), all.get(1)), second.items());
    JobBook.Page last = book.page(null, null, null, 2, second.nextCursor());
    assertEquals(List.of(all.get(0)), last.items());
    assertNull(last.nextCursor());
    assertEquals(List.of(all.get(4), all.get(2), all.get(0)), book.page("a", "queued", null, 10, null).items());
    assertEquals(List.of(), book.page(null, "completed", null, 10, null).items());
    assertThrows(IllegalArgumentException.class, () -> book.page(null, null, null, 2, "not-a-cursor"));
  }

  @Test
  void prunesOnlyJobsThatEndedBeforeTheHorizon() {
    Pull old = job("a", 1);
    Pull running = job("b", 2);
    Pull queued = job("c", 3);
    book.end(old, Status.FAILED);
    old.finishedAt = T0;
    book.start(running, "c1");
    assertEquals(List.of(old), book.prune(T0.plusSeconds(1)));
    assertNull(book.get(old.requestId.toString()));
    assertSame(queued, book.get(queued.requestId.toString()));
    assertEquals(2, book.size());
  }

  @Test
  void anIdThatIsNoUuidFindsNothing() {
    assertNull(book.get("../etc"));
    assertNull(book.get(null));
  }

  private Pull job(String clientId, int second) {
    Pull pull = new Pull(UUID.randomUUID(), clientId, null, null, null, null, T0.plusSeconds(second));
    book.add(pull);
    return pull;
  }
}
