package io.silentmode.server.http;

import io.silentmode.protocol.ErrorCode;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.JWTAuthHandler;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The contract's {@code bearerToken} scheme: {@code Authorization: Bearer <API_TOKEN>}, compared in constant time;
 * everything passes when the server has no API_TOKEN. The router runs it on the route it matched (so after the
 * path's dot-segments are resolved) for each operation whose {@code security} names the scheme.
 * <p>
 * vertx-web-openapi-router binds an HTTP bearer scheme only to a {@link JWTAuthHandler}; API_TOKEN is an opaque
 * token, not a JWT, so this implements that interface and has no scopes (the contract declares none).
 */
final class BearerToken implements JWTAuthHandler {

  static final String SCHEME = "bearerToken";

  private final byte[] token;

  BearerToken(String token) {
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void handle(RoutingContext rc) {
    if (accepts(rc)) {
      rc.next();
    } else {
      refuse(rc);
    }
  }

  boolean accepts(RoutingContext rc) {
    if (token == null) {
      return true;
    }
    String header = rc.request().getHeader("Authorization");
    byte[] given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
      ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
    return MessageDigest.isEqual(given, token);
  }

  static void refuse(RoutingContext rc) {
    rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"silentmode\"");
    Problems.send(rc, ErrorCode.UNAUTHORIZED, "this server needs Authorization: Bearer <API_TOKEN>", null);
  }

  @Override
  public JWTAuthHandler scopeDelimiter(String delimiter) {
    return this;
  }

  @Override
  public JWTAuthHandler withScope(String scope) {
    return this;
  }

  @Override
  public JWTAuthHandler withScopes(List<String> scopes) {
    return this;
  }
}
