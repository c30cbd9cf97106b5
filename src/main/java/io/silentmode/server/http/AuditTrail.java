package io.silentmode.server.http;

import io.silentmode.server.Addresses;
import io.silentmode.server.auth.Identity;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.Set;

/**
 * What the API tells the audit log ({@link Addresses#AUDIT_RECORD}): every request that changes something (POST,
 * PUT, PATCH, DELETE) and every refused authentication (401, 403), once its answer is sent: when, from where, with
 * which credential, what was asked and how it ended. A credential is named, never copied: {@code token} with its
 * {@code tokenId}, {@code API_TOKEN}, {@code link} for a signed link, {@code bearer} for a bearer token that was
 * not accepted (with the {@code claimedTokenId} it named, if any), null for none. Requests refused before their
 * operation ({@link #REFUSED}) are also counted, through {@link Addresses#API_REFUSED}.
 */
final class AuditTrail {

  /** Routing-context key: why the request was refused (unauthenticated, forbidden, rate_limited, ...). */
  static final String REFUSED = "silentmode.refused";
  /** Routing-context key: what the request acted on, when the path does not say it all (the token made). */
  static final String TARGET = "silentmode.auditTarget";

  private static final Set<HttpMethod> MUTATING = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);

  private final Vertx vertx;

  AuditTrail(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The first handler of every request: it records the request once it is answered, if it is one to record. */
  void handle(RoutingContext rc) {
    rc.addEndHandler(done -> {
      String refused = rc.get(REFUSED);
      if (refused != null) {
        vertx.eventBus().send(Addresses.API_REFUSED, new JsonObject().put("reason", refused));
      }
      int status = rc.response().getStatusCode();
      if (!MUTATING.contains(rc.request().method()) && status != 401 && status != 403) {
        return;
      }
      Identity identity = rc.get(BearerToken.IDENTITY);
      vertx.eventBus().send(Addresses.AUDIT_RECORD, new JsonObject()
        .put("at", Instant.now().toString())
        .put("remote", rc.request().remoteAddress() == null ? null : rc.request().remoteAddress().hostAddress())
        .put("credential", credential(rc, identity))
        .put("tokenId", identity == null ? null : identity.tokenId())
        .put("claimedTokenId", identity == null ? rc.get(BearerToken.CLAIMED) : null)
        .put("method", rc.request().method().name())
        .put("path", rc.request().path())
        .put("status", status)
        .put("location", rc.response().headers().get("Location"))
        .put("refused", refused)
        .put("target", rc.<JsonObject>get(TARGET)));
    });
    rc.next();
  }

  private static String credential(RoutingContext rc, Identity identity) {
    if (identity != null) {
      return identity.tokenId() != null ? "token" : identity == Identity.BOOTSTRAP ? "API_TOKEN" : null;
    }
    if (rc.request().getHeader("Authorization") != null) {
      return "bearer";
    }
    return rc.queryParams().get("signature") != null ? "link" : null;
  }
}
