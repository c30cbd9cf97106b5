package io.silentmode.server.http;

import io.silentmode.server.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.Set;

/**
 * What the API tells the audit log ({@link Addresses#AUDIT_RECORD}): every request that changes something (POST,
 * PUT, PATCH, DELETE) and every refused authentication (401, 403), once its answer is sent: when, from where, with
 * which credential, what was asked and how it ended. The credential is named, never copied: {@code bearer} for an
 * {@code Authorization: Bearer} header (the status says whether it was API_TOKEN), {@code link} for a signed link,
 * null for none.
 */
final class AuditTrail {

  private static final Set<HttpMethod> MUTATING = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);

  private final Vertx vertx;

  AuditTrail(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The first handler of every request: it records the request once it is answered, if it is one to record. */
  void handle(RoutingContext rc) {
    rc.addEndHandler(done -> {
      int status = rc.response().getStatusCode();
      if (!MUTATING.contains(rc.request().method()) && status != 401 && status != 403) {
        return;
      }
      vertx.eventBus().send(Addresses.AUDIT_RECORD, new JsonObject()
        .put("at", Instant.now().toString())
        .put("remote", rc.request().remoteAddress() == null ? null : rc.request().remoteAddress().hostAddress())
        .put("credential", credential(rc))
        .put("method", rc.request().method().name())
        .put("path", rc.request().path())
        .put("status", status)
        .put("location", rc.response().headers().get("Location")));
    });
    rc.next();
  }

  private static String credential(RoutingContext rc) {
    if (rc.request().getHeader("Authorization") != null) {
      return "bearer";
    }
    return rc.queryParams().get("signature") != null ? "link" : null;
  }
}
