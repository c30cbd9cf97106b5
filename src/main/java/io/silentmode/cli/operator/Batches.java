package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** What the batch commands do with a batch: follow it on one aggregate line, print it, tell how it went. */
final class Batches {

  static final String PATH = "/api/v1/batches/";

  private Batches() {
  }

  /**
   * Follows the batch's events with one aggregate progress line on stderr (redrawn on a terminal, one line per
   * change of the counts otherwise) and returns the batch as it ended, with its members.
   */
  static JsonObject follow(ApiClient api, String batchId, PrintWriter err) {
    boolean terminal = System.console() != null;
    boolean[] ended = new boolean[1];
    api.follow(PATH + batchId + "/events", event -> {
      if ("member".equals(event.name())) {
        return false;
      }
      if (terminal) {
        err.print("\r\033[K" + progress(event.job()) + ("final".equals(event.name()) ? System.lineSeparator() : ""));
      } else if (!"progress".equals(event.name())) {
        err.println(progress(event.job()));
      }
      err.flush();
      ended[0] = "final".equals(event.name());
      return ended[0];
    });
    if (!ended[0]) {
      throw new CliException(ExitCode.FAILED, "the event stream of batch " + batchId + " ended without a final event");
    }
    return api.get(PATH + batchId);
  }

  /** One line: status, members done of all, failures, bytes, rate, ETA. */
  static String progress(JsonObject batch) {
    JsonObject c = batch.getJsonObject("counts");
    int done = c.getInteger("completed") + c.getInteger("failed") + c.getInteger("cancelled");
    Long rate = batch.getLong("bytesPerSecond");
    Long eta = batch.getLong("etaSeconds");
    return String.format(Locale.ROOT, "%s %d/%d done  %d running  %d queued (%d agents offline)  %d failed  %s  %s/s  ETA %s",
      batch.getString("status"), done, batch.getInteger("matched"), c.getInteger("running"), c.getInteger("queued"),
      c.getInteger("agentOffline"), c.getInteger("failed"), Output.bytes(batch.getLong("bytesDone")),
      rate == null ? "-" : Output.bytes(rate), eta == null ? "-" : eta + " s");
  }

  /**
   * Prints the batch (JSON, or its summary and a table of its members) and returns 1 when a member failed or the
   * batch was cancelled, else 0.
   */
  static int report(Global global, PrintWriter out, JsonObject batch) {
    if (global.json) {
      Output.json(out, batch);
    } else {
      out.println("batch " + batch.getString("batchId") + ": " + progress(batch));
      if (batch.getJsonArray("members") != null) {
        Output.table(out, List.of("CLIENT", "STATUS", "REQUEST ID"),
          batch.getJsonArray("members").stream().map(JsonObject.class::cast).toList(),
          List.<Function<JsonObject, Object>>of(m -> m.getString("clientId"), m -> Output.colourStatus(m.getString("status")),
            m -> m.getString("requestId")));
      }
      out.flush();
    }
    return batch.getJsonObject("counts").getInteger("failed") > 0 || batch.getString("status").startsWith("cancel")
      ? ExitCode.FAILED : ExitCode.OK;
  }
}
