package io.silentmode.cli.operator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** How operator commands print: data on stdout (tables, or JSON with --json), errors and progress on stderr. */
final class Output {

  private Output() {
  }

  /** Runs a command body, turning a {@link CliException} into one line on stderr and its exit code. */
  static int run(PrintWriter err, Callable<Integer> body) {
    try {
      return body.call();
    } catch (CliException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return e.exitCode;
    } catch (Exception e) {
      err.println("error: " + e);
      err.flush();
      return ExitCode.FAILED;
    }
  }

  static void json(PrintWriter out, Object value) {
    out.println(value instanceof JsonObject o ? o.encodePrettily() : ((JsonArray) value).encodePrettily());
    out.flush();
  }

  /** A plain aligned table; columns take their values from each row with the given functions. */
  static void table(PrintWriter out, List<String> headers, List<JsonObject> rows, List<Function<JsonObject, Object>> columns) {
    int[] width = new int[headers.size()];
    String[][] cells = new String[rows.size()][headers.size()];
    for (int c = 0; c < headers.size(); c++) {
      width[c] = headers.get(c).length();
      for (int r = 0; r < rows.size(); r++) {
        Object v = columns.get(c).apply(rows.get(r));
        cells[r][c] = v == null ? "-" : v.toString();
        width[c] = Math.max(width[c], cells[r][c].length());
      }
    }
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < headers.size(); c++) {
      line.append(String.format("%-" + (width[c] + 2) + "s", headers.get(c)));
    }
    out.println(line.toString().stripTrailing());
    for (String[] row : cells) {
      line.setLength(0);
      for (int c = 0; c < row.length; c++) {
        line.append(String.format("%-" + (width[c] + 2) + "s", row[c]));
      }
      out.println(line.toString().stripTrailing());
    }
    out.flush();
  }

  /**
   * The job's status, with why a paused or queued one waits, and a queued one's place in the line:
   * {@code paused (AGENT_DISCONNECTED)}, {@code queued (AGENT_BUSY, #2)}.
   */
  static String status(JsonObject job) {
    String status = job.getString("status");
    String paused = job.getString("pausedReason");
    String queued = job.getString("queuedReason");
    if ("paused".equals(status) && paused != null) {
      return status + " (" + paused + ")";
    }
    return "queued".equals(status) && queued != null
      ? status + " (" + queued + ", #" + job.getInteger("queuePosition") + ")" : status;
  }

  /** Green, red or yellow on a terminal, unless NO_COLOR is set (no-color.org); plain otherwise. */
  static String colourStatus(String status) {
    if (System.console() == null || System.getenv("NO_COLOR") != null || status == null) {
      return status;
    }
    String colour = switch (status.split(" ")[0]) {
      case "completed" -> "32";
      case "failed", "cancelled" -> "31";
      default -> "33";
    };
    return "\033[" + colour + "m" + status + "\033[0m";
  }

  static String bytes(Long n) {
    if (n == null) {
      return null;
    }
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** One line of progress: percent, bytes, rate, ETA, retries. */
  static String progress(JsonObject job) {
    long done = job.getLong("bytesDone", 0L);
    Long size = job.getLong("size");
    String percent = size == null || size == 0 ? "  -  " : String.format(Locale.ROOT, "%5.1f%%", 100.0 * done / size);
    Long rate = job.getLong("bytesPerSecond");
    Long eta = job.getLong("etaSeconds");
    return String.format(Locale.ROOT, "%s %s  %s / %s  %s/s  ETA %s  retries %d", status(job), percent,
      bytes(done), size == null ? "?" : bytes(size), rate == null ? "-" : bytes(rate), eta == null ? "-" : eta + " s",
      job.getInteger("retries", 0));
  }
}
