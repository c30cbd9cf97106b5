package io.silentmode.server.http;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.vertx.core.Vertx;
import io.vertx.core.file.FileProps;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves a completed job's file with the headers a download manager expects: Content-Length, {@code ETag} (the
 * SHA-256), {@code Repr-Digest} (RFC 9530), a single {@code Range} (206, or 416 when unsatisfiable),
 * {@code If-None-Match} and a Content-Disposition with the original file name. The bytes go by sendfile.
 */
final class Content {

  private static final System.Logger log = System.getLogger(Content.class.getName());
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

  private final Vertx vertx;

  Content(Vertx vertx) {
    this.vertx = vertx;
  }

  void send(RoutingContext rc, JsonObject job) {
    JsonObject file = job.getJsonObject("file");
    if (!"completed".equals(job.getString("status")) || file == null) {
      Problems.send(rc, ErrorCode.DOWNLOAD_NOT_COMPLETED, "pull " + job.getString("requestId") + " is "
        + job.getString("status") + "; its content exists once it is completed", null);
      return;
    }
    String path = file.getString("path");
    vertx.fileSystem().props(path)
      .onFailure(e -> {
        log.log(System.Logger.Level.WARNING, "Pulled file of " + job.getString("requestId") + " is gone: " + path);
        Problems.send(rc, ErrorCode.FILE_NOT_FOUND, "the file pull " + job.getString("requestId")
          + " fetched is no longer in DOWNLOAD_DIR; pull it again", null);
      })
      .onSuccess(props -> send(rc, job, path, file.getString("sha256"), props));
  }

  private void send(RoutingContext rc, JsonObject job, String path, String sha256, FileProps props) {
    long size = props.size();
    String etag = "\"" + sha256 + "\"";
    HttpServerResponse response = rc.response()
      .putHeader("ETag", etag)
      .putHeader("Accept-Ranges", "bytes")
      .putHeader("Repr-Digest", "sha-256=:" + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256)) + ":")
      .putHeader("Cache-Control", "private, no-transform");
    if (etag.equals(rc.request().getHeader("If-None-Match"))) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader("Content-Type", "application/octet-stream")
      .putHeader("Content-Disposition", disposition(job.getString("fileName")));
    long offset = 0;
    long length = size;
    String range = rc.request().getHeader("Range");
    if (range != null) {
      Matcher m = RANGE.matcher(range.trim());
      if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
        try {
          long[] span = span(m.group(1), m.group(2), size);
          offset = span[0];
          length = span[1] - span[0] + 1;
          response.setStatusCode(206).putHeader("Content-Range", "bytes " + span[0] + "-" + span[1] + "/" + size);
        } catch (PullException unsatisfiable) {
          response.putHeader("Content-Range", "bytes */" + size);
          Problems.send(rc, unsatisfiable.code(), unsatisfiable.getMessage(), null);
          return;
        }
      }
      // Anything else (several ranges, other units) is allowed to be ignored: the whole file follows.
    }
    response.sendFile(path, offset, length);
  }

  /** First and last byte of {@code first-last}, {@code first-} or {@code -suffix}, clipped to the file. */
  private static long[] span(String first, String last, long size) {
    long from;
    long to;
    try {
      if (first.isEmpty()) {
        long suffix = Long.parseLong(last);
        from = Math.max(0, size - suffix);
        to = size - 1;
        if (suffix == 0) {
          from = size;
        }
      } else {
        from = Long.parseLong(first);
        to = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
      }
    } catch (NumberFormatException e) {
      throw unsatisfiable(size);
    }
    if (from >= size || from > to) {
      throw unsatisfiable(size);
    }
    return new long[] {from, to};
  }

  private static PullException unsatisfiable(long size) {
    return new PullException(ErrorCode.RANGE_NOT_SATISFIABLE, "the range is outside the file's " + size + " bytes");
  }

  private static String disposition(String fileName) {
    String name = fileName == null ? "download" : fileName;
    String ascii = name.replaceAll("[^A-Za-z0-9._ -]", "_");
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''"
      + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
