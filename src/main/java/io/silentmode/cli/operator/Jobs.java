package io.silentmode.cli.operator;

import io.silentmode.protocol.Sha256;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** What several operator commands do with a job: follow it live, print it, fetch and check its file. */
final class Jobs {

  static final String PATH = "/api/v1/downloads/";

  private Jobs() {
  }

  /**
   * Follows the job's events, drawing progress on stderr, and returns the job as it ended. A paused job has not
   * ended: this waits through the pause (its stream stays open) until the job resumes and ends, or fails at
   * {@code pausedUntil}.
   */
  static JsonObject follow(ApiClient api, String requestId, PrintWriter err) {
    ProgressLine progress = new ProgressLine(err);
    Interrupt.askOnCtrlC(api, requestId, err, progress);
    JsonObject[] last = new JsonObject[1];
    api.follow(PATH + requestId + "/events", event -> {
      last[0] = event.job();
      progress.update(event.name(), event.job());
      return "final".equals(event.name());
    });
    if (last[0] == null) {
      throw new CliException(ExitCode.FAILED, "the event stream of " + requestId + " ended without a final event");
    }
    return last[0];
  }

  /**
   * Prints the job (table or JSON) and returns 1 when it failed or was cancelled, else 0: completed, or not finished
   * (queued, running or paused).
   */
  static int report(Global global, PrintWriter out, JsonObject job) {
    if (global.json) {
      Output.json(out, job);
    } else {
      JsonObject file = job.getJsonObject("file");
      JsonObject error = job.getJsonObject("error");
      Output.table(out, List.of("FIELD", "VALUE"), List.of(
          row("requestId", job.getString("requestId")), row("client", job.getString("clientId")),
          row("status", Output.colourStatus(Output.status(job))), row("pausedUntil", job.getString("pausedUntil")),
          row("file", file == null ? null : file.getString("path")),
          row("size", Output.bytes(job.getLong("size"))), row("sha256", file == null ? null : file.getString("sha256")),
          row("time", seconds(job)), row("speed", speed(job)), row("retries", job.getInteger("retries")),
          row("resumes", job.getInteger("resumes")), row("resent", Output.bytes(job.getLong("bytesResent"))),
          row("error", error == null ? null : error.getString("code") + ": " + error.getString("message"))),
        List.<Function<JsonObject, Object>>of(r -> r.getString("k"), r -> r.getValue("v")));
    }
    String status = job.getString("status");
    return "failed".equals(status) || "cancelled".equals(status) ? ExitCode.FAILED : ExitCode.OK;
  }

  /** Downloads the content to {@code target} and checks its SHA-256 here against the server's. */
  static String fetch(ApiClient api, JsonObject job, Path target, PrintWriter err) {
    String requestId = job.getString("requestId");
    if (target == null) {
      target = Path.of(job.getString("fileName") == null ? requestId : job.getString("fileName"));
    }
    String etag = api.download(PATH + requestId + "/content", target);
    String expected = job.getJsonObject("file") == null ? etag.replace("\"", "") : job.getJsonObject("file").getString("sha256");
    String actual = sha256(target);
    if (!actual.equals(expected)) {
      throw new CliException(ExitCode.FAILED, target + " has SHA-256 " + actual + " but the server verified " + expected);
    }
    err.println("Saved " + target + " (SHA-256 " + actual + ", checked)");
    err.flush();
    return actual;
  }

  private static String sha256(Path file) {
    MessageDigest digest = Sha256.digest();
    byte[] block = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(block); n > 0; n = in.read(block)) {
        digest.update(block, 0, n);
      }
    } catch (IOException e) {
      throw new CliException(ExitCode.FAILED, "could not read " + file + ": " + e.getMessage());
    }
    return Sha256.hex(digest.digest());
  }

  private static JsonObject row(String key, Object value) {
    return new JsonObject().put("k", key).put("v", value);
  }

  private static String seconds(JsonObject job) {
    long ms = millis(job);
    return ms < 0 ? null : String.format(Locale.ROOT, "%.2f s", ms / 1000.0);
  }

  /** The average over the whole pull, asking the agent included, in decimal MB/s like the benchmark. */
  private static String speed(JsonObject job) {
    long ms = millis(job);
    Long size = job.getLong("size");
    if (ms <= 0 || size == null || !"completed".equals(job.getString("status"))) {
      return null;
    }
    return String.format(Locale.ROOT, "%.1f MB/s", size / 1000.0 / ms);
  }

  /** From asking the agent to the end, or -1 while either is unknown. */
  private static long millis(JsonObject job) {
    String start = job.getString("startedAt");
    String end = job.getString("finishedAt");
    return start == null || end == null ? -1 : Duration.between(Instant.parse(start), Instant.parse(end)).toMillis();
  }
}
