package io.silentmode.server.download;

import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.UUID;

/** A position in the job list, newest first: opaque to clients, stable while jobs are added, the same on every node. */
public record Cursor(Instant createdAt, UUID requestId) {

  /** The list's order on items as the API shows them (jobs, batches: {@code idField}), for lists merged from several nodes. */
  public static Comparator<JsonObject> newestFirst(String idField) {
    return Comparator.comparing((JsonObject j) -> Instant.parse(j.getString("createdAt")))
      .reversed().thenComparing(j -> j.getString(idField), Comparator.reverseOrder());
  }

  static final Comparator<Pull> NEWEST_FIRST = Comparator.comparing((Pull p) -> p.createdAt).reversed()
    .thenComparing(p -> p.requestId.toString(), Comparator.reverseOrder());

  static Cursor of(Pull pull) {
    return new Cursor(pull.createdAt, pull.requestId);
  }

  /** The cursor of the page that follows {@code item}, a job or batch as the API shows it. */
  public static String after(JsonObject item, String idField) {
    return new Cursor(Instant.parse(item.getString("createdAt")), UUID.fromString(item.getString(idField))).encode();
  }

  /** Null for no cursor; IllegalArgumentException for one this server did not make. */
  public static Cursor parse(String encoded) {
    if (encoded == null) {
      return null;
    }
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(encoded), StandardCharsets.UTF_8).split("\\|", 2);
      return new Cursor(Instant.parse(parts[0]), UUID.fromString(parts[1]));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("bad cursor", e);
    }
  }

  public String encode() {
    return Base64.getUrlEncoder().withoutPadding()
      .encodeToString((createdAt + "|" + requestId).getBytes(StandardCharsets.UTF_8));
  }

  /** Whether {@code pull} comes after this position in newest-first order. */
  boolean isBefore(Pull pull) {
    return isBefore(pull.createdAt, pull.requestId);
  }

  /** Whether the item made at {@code at} with {@code id} comes after this position in newest-first order. */
  public boolean isBefore(Instant at, UUID id) {
    int c = at.compareTo(createdAt);
    return c < 0 || c == 0 && id.toString().compareTo(requestId.toString()) < 0;
  }
}
