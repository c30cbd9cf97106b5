package io.silentmode.server.http;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.auth.Identity;
import io.silentmode.server.auth.Role;
import io.silentmode.server.auth.TokenSecret;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.JWTAuthHandler;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Path;
import io.vertx.openapi.contract.SecurityRequirement;

import java.util.ArrayList;
import java.util.List;

/**
 * The contract's {@code bearerToken} scheme: {@code Authorization: Bearer <token>}, a stored token (checked by
 * {@link io.silentmode.server.auth.TokensVerticle}) or the bootstrap API_TOKEN (compared in constant time here);
 * none or a bad one is 401 with {@code WWW-Authenticate}, a token whose role falls short is 403 FORBIDDEN.
 * <p>
 * The role comes from the contract alone: an operation declares {@code security: [{bearerToken: [operator]}]}.
 * vertx-web-openapi-router 5.0.10 runs one shared handler instance per scheme on each operation's route; it
 * hands the scopes to {@code withScopes} only for handlers implementing its internal {@code ScopedAuthentication}
 * (which {@link JWTAuthHandler} does not extend), so this handler reads them from the operation the router puts in
 * the route's metadata ({@link RouterBuilder#KEY_META_DATA_OPERATION}) instead. It runs on the route matched after
 * the path's dot-segments were resolved, and last of the checks: the request's rate is charged to the token
 * ({@link CallerLimits}) once it is known.
 * <p>
 * An operation marked {@code x-signed-link: true} also takes a signed link ({@code expires}, {@code signature})
 * in place of a token: such a request is passed on unauthenticated, and the operation's handler must verify it.
 */
final class BearerToken implements JWTAuthHandler {

  static final String SCHEME = "bearerToken";
  /** Where the {@link Identity} of an authenticated request is kept in its routing context. */
  static final String IDENTITY = "silentmode.identity";
  /** The token id an unverified token claimed, for the audit log. */
  static final String CLAIMED = "silentmode.claimedTokenId";
  static final String SIGNED_LINK = "x-signed-link";

  private final Vertx vertx;
  private final String apiToken;
  private final boolean open;
  private final CallerLimits limits;

  BearerToken(Vertx vertx, ServerConfig config, CallerLimits limits) {
    this.vertx = vertx;
    this.apiToken = config.apiToken();
    this.open = config.allowUnauthenticatedApi();
    this.limits = limits;
  }

  /**
   * The role {@code operation} needs, or null when the contract leaves it open ({@code security: []}).
   * Anything else (no {@code security} of its own, another scheme, no role or several) is a mistake in the
   * contract, refused when the server starts.
   */
  static Role requiredRole(Operation operation) {
    List<SecurityRequirement> requirements = operation.getSecurityRequirements();
    if (operation.getOpenAPIModel().getValue("security") == null || requirements == null) {
      throw new IllegalStateException("operation " + operation.getOperationId() + " declares no security of its own");
    }
    if (requirements.isEmpty()) {
      return null;
    }
    List<String> roles = requirements.size() == 1 && requirements.get(0).getNames().equals(java.util.Set.of(SCHEME))
      ? requirements.get(0).getScopes(SCHEME) : List.of();
    Role role = roles.size() == 1 ? Role.parse(roles.get(0)) : null;
    if (role == null) {
      throw new IllegalStateException("operation " + operation.getOperationId() + " must declare security: []"
        + " or security: [{bearerToken: [viewer|operator|admin]}], not " + operation.getOpenAPIModel().getValue("security"));
    }
    return role;
  }

  /** Fails with every operation of {@code contract} whose security {@link #requiredRole} refuses. */
  static void check(OpenAPIContract contract) {
    List<String> wrong = new ArrayList<>();
    for (Path path : contract.getPaths()) {
      for (Operation operation : path.getOperations()) {
        try {
          requiredRole(operation);
        } catch (IllegalStateException e) {
          wrong.add(e.getMessage());
        }
      }
    }
    if (!wrong.isEmpty()) {
      throw new IllegalStateException("openapi.yaml: " + String.join("; ", wrong));
    }
  }

  @Override
  public void handle(RoutingContext rc) {
    Operation operation = rc.currentRoute().getMetadata(RouterBuilder.KEY_META_DATA_OPERATION);
    Role needed = requiredRole(operation);
    if (Boolean.TRUE.equals(operation.getExtensions().get(SIGNED_LINK))
      && (rc.queryParams().contains("signature") || rc.queryParams().contains("expires"))) {
      limits.admit(rc, CallerLimits.byAddress(rc), rc::next);
      return;
    }
    if (open) {
      admit(rc, Identity.UNAUTHENTICATED, needed);
      return;
    }
    String presented = presented(rc);
    if (presented == null) {
      refuse(rc, "this operation needs Authorization: Bearer <token> (silentmode tokens create, or DATA_DIR/admin.token)");
    } else if (apiToken != null && TokenSecret.same(presented, apiToken)) {
      admit(rc, Identity.BOOTSTRAP, needed);
    } else {
      String id = TokenSecret.idOf(presented);
      if (id == null) {
        refuse(rc, "the bearer token is not a silentmode token (smt_...) nor API_TOKEN");
        return;
      }
      rc.put(CLAIMED, id);
      vertx.eventBus().<JsonObject>request(Addresses.TOKENS_AUTHENTICATE,
          new JsonObject().put("id", id).put("hash", TokenSecret.hash(presented)))
        .onSuccess(reply -> admit(rc, Identity.fromJson(reply.body()), needed))
        .onFailure(e -> refuse(rc, "token " + id + " is unknown or revoked; ask an admin for a new one"));
    }
  }

  private void admit(RoutingContext rc, Identity identity, Role needed) {
    rc.put(IDENTITY, identity);
    limits.admit(rc, CallerLimits.byIdentity(identity, rc), () -> {
      if (identity.role().covers(needed)) {
        rc.next();
      } else {
        rc.put(AuditTrail.REFUSED, "forbidden");
        Problems.send(rc, ErrorCode.FORBIDDEN, rc.request().method() + " " + rc.normalizedPath() + " needs role "
          + needed.wire() + "; this token (" + (identity.tokenId() == null ? identity.name() : identity.tokenId())
          + ") has role " + identity.role().wire(), null);
      }
    });
  }

  /** 401; a caller that keeps presenting bad tokens is slowed down by its address's rate like any other. */
  private void refuse(RoutingContext rc, String why) {
    limits.admit(rc, CallerLimits.byAddress(rc), () -> {
      rc.put(AuditTrail.REFUSED, "unauthenticated");
      rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"silentmode\"");
      Problems.send(rc, ErrorCode.UNAUTHORIZED, why, null);
    });
  }

  private static String presented(RoutingContext rc) {
    String header = rc.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  @Override
  public JWTAuthHandler scopeDelimiter(String delimiter) {
    return this;
  }

  /** Never called by the router (see above); the roles are read from the operation. */
  @Override
  public JWTAuthHandler withScope(String scope) {
    return this;
  }

  @Override
  public JWTAuthHandler withScopes(List<String> scopes) {
    return this;
  }
}
