package io.silentmode.server.batch;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchBookTest {

  private static Batch batch(Instant at, String... clients) {
    Batch b = new Batch(UUID.randomUUID(), new JsonObject().put("selector", "x"), null, at, 2);
    for (String c : clients) {
      b.members.add(new Member(b, c, UUID.randomUUID().toString()));
    }
    return b;
  }

  @Test
  void pages_go_newest_first_and_miss_none() {
    BatchBook book = new BatchBook();
    List<Batch> all = new ArrayList<>();
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < 5; i++) {
      Batch b = batch(t.plusSeconds(i % 3), "a");
      all.add(b);
      book.add(b);
    }
    List<Batch> walked = new ArrayList<>();
    String cursor = null;
    do {
      BatchBook.Page page = book.page(2, cursor);
      walked.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    assertEquals(all.stream().sorted(Batch.NEWEST_FIRST).toList(), walked);
    assertThrows(IllegalArgumentException.class, () -> book.page(2, "not-a-cursor"));
  }

  @Test
  void a_retried_member_follows_its_new_job_and_old_batches_go_with_their_indexes() {
    BatchBook book = new BatchBook();
    Batch b = batch(Instant.now(), "a", "b");
    book.add(b);
    Member a = b.members.get(0);
    String old = a.requestId;
    book.rejob(a, "new-id");
    assertNull(book.member(old));
    assertSame(a, book.member("new-id"));
    assertEquals(old, a.retryOf);
    assertEquals(List.of(b), book.runningWith("a"));

    b.finishedAt = Instant.now().minusSeconds(10);
    assertTrue(book.runningWith("a").isEmpty(), "an ended batch lets nobody go");
    assertEquals(List.of(b), book.prune(Instant.now()));
    assertNull(book.get(b.batchId.toString()));
    assertNull(book.member("new-id"));
    assertNull(book.get("not-a-uuid"));
  }
}
