package io.silentmode.server.download;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.download.Pull.Status;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Log lines about one pull, with its requestId and clientId (and the error code of a failure) as MDC fields, top-level
 * members with LOG_FORMAT=json, so that one search finds a pull's lines (in text the message names both). One line when a run starts, one when the pull ends, with its size, time and rate. The MDC is set on
 * the logging thread for the one call only.
 */
final class PullLog {

  private PullLog() {
  }

  static void log(System.Logger log, System.Logger.Level level, Pull pull, String message) {
    log(log, level, pull, Map.of(), message);
  }

  /** A run starts: the first one, or the one after a pause (a restart's included). */
  static void started(System.Logger log, Pull pull) {
    log(log, System.Logger.Level.INFO, pull, "Pull " + pull.requestId + " from " + pull.clientId
      + (pull.resumes == 0 ? " started" : " resumed (resume " + pull.resumes + ")")
      + (pull.path == null ? "" : ": " + pull.path));
  }

  /** The pull ended; a failure is a warning (an operator's cancel is no trouble) and carries its code. */
  static void ended(System.Logger log, Pull pull, ErrorCode code, String message) {
    long millis = pull.startedAt == null ? 0 : Duration.between(pull.startedAt, pull.finishedAt).toMillis();
    Map<String, String> fields = new TreeMap<>();
    fields.put("bytes", String.valueOf(pull.bytesDone));
    fields.put("durationMs", String.valueOf(millis));
    if (pull.finalRate != null) {
      fields.put("bytesPerSecond", String.valueOf(pull.finalRate));
    }
    if (code != null) {
      fields.put("code", code.name());
    }
    String what = pull.bytesDone + (pull.status == Status.COMPLETED || pull.size < 0 ? "" : " of " + pull.size)
      + " bytes in " + String.format(Locale.ROOT, "%.3f s", millis / 1000.0)
      + (pull.finalRate == null ? "" : String.format(Locale.ROOT, " at %.1f MB/s", pull.finalRate / 1e6))
      + ", " + pull.retries + " chunk retries, " + pull.resumes + " resumes";
    String line = "Pull " + pull.requestId + " from " + pull.clientId + " " + pull.status.name().toLowerCase(Locale.ROOT)
      + ": " + what + (pull.status == Status.COMPLETED ? ": " + pull.file.getString("path") : "")
      + (code == null ? "" : ": " + code + " " + message);
    log(log, pull.status == Status.FAILED ? System.Logger.Level.WARNING : System.Logger.Level.INFO, pull, fields, line);
  }

  private static void log(System.Logger log, System.Logger.Level level, Pull pull, Map<String, String> fields,
                          String message) {
    if (!log.isLoggable(level)) {
      return;
    }
    MDC.put("requestId", pull.requestId.toString());
    MDC.put("clientId", pull.clientId);
    fields.forEach(MDC::put);
    try {
      log.log(level, message);
    } finally {
      MDC.remove("requestId");
      MDC.remove("clientId");
      fields.keySet().forEach(MDC::remove);
    }
  }
}
