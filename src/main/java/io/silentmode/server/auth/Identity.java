package io.silentmode.server.auth;

import io.vertx.core.json.JsonObject;

/**
 * Who made an API request: a stored token ({@code tokenId}, {@code name}), the bootstrap API_TOKEN (no id, name
 * {@code API_TOKEN}), or nobody in particular when ALLOW_UNAUTHENTICATED_API is on (no id, no name, admin).
 * What {@code GET /whoami} answers.
 */
public record Identity(String tokenId, String name, Role role) {

  public static final Identity BOOTSTRAP = new Identity(null, "API_TOKEN", Role.ADMIN);
  public static final Identity UNAUTHENTICATED = new Identity(null, null, Role.ADMIN);

  public JsonObject toJson() {
    return new JsonObject().put("tokenId", tokenId).put("name", name).put("role", role.wire());
  }

  public static Identity fromJson(JsonObject json) {
    return new Identity(json.getString("tokenId"), json.getString("name"), Role.parse(json.getString("role")));
  }
}
