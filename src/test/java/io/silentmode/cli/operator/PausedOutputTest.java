package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the operator commands print a paused job, and that it counts as not finished. */
class PausedOutputTest {

  private static final JsonObject PAUSED = new JsonObject().put("requestId", "r-1").put("clientId", "shop-1")
    .put("status", "paused").put("pausedReason", "AGENT_DISCONNECTED").put("pausedUntil", "2026-12-03T08:00:00Z")
    .put("size", 2048L).put("bytesDone", 1024L).put("retries", 0).put("resumes", 2).put("bytesResent", 512L);

  @Test
  void a_paused_job_shows_its_reason_and_the_others_their_status() {
    assertEquals("paused (AGENT_DISCONNECTED)", Output.status(PAUSED));
    assertEquals("queued (SERVER_BUSY, #3)", Output.status(new JsonObject().put("status", "queued")
      .put("queuedReason", "SERVER_BUSY").put("queuePosition", 3)));
    assertEquals("in_progress", Output.status(new JsonObject().put("status", "in_progress").putNull("pausedReason")));
    assertTrue(Output.progress(PAUSED).startsWith("paused (AGENT_DISCONNECTED)  50.0%"), Output.progress(PAUSED));
  }

  @Test
  void a_paused_job_is_reported_with_its_deadline_and_figures_and_exits_0() {
    StringWriter out = new StringWriter();
    int code = Jobs.report(new Global(), new PrintWriter(out), PAUSED);
    assertEquals(ExitCode.OK, code, "paused is not finished, let alone failed");
    String table = out.toString();
    assertTrue(table.contains("paused (AGENT_DISCONNECTED)") && table.contains("2026-12-03T08:00:00Z"), table);
    assertTrue(table.matches("(?s).*resumes\\s+2.*") && table.matches("(?s).*resent\\s+512 B.*"), table);
    assertEquals(ExitCode.FAILED, Jobs.report(new Global(), new PrintWriter(new StringWriter()),
      PAUSED.copy().put("status", "failed")));
  }
}
