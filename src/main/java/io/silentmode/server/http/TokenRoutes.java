package io.silentmode.server.http;

import io.silentmode.server.Addresses;
import io.silentmode.server.auth.Identity;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;

/** The operations on API tokens ({@code /tokens}) and on the caller's own identity ({@code /whoami}). */
final class TokenRoutes {

  private final Vertx vertx;

  TokenRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  void bind(RouterBuilder rb) {
    rb.getRoute("getWhoami").addHandler(rc -> json(rc, 200, rc.<Identity>get(BearerToken.IDENTITY).toJson()));
    rb.getRoute("listTokens").addHandler(rc -> ask(rc, Addresses.TOKENS_LIST, new JsonObject(), reply -> json(rc, 200, reply)));
    rb.getRoute("createToken").addHandler(this::create);
    rb.getRoute("revokeToken").addHandler(rc -> {
      String id = validated(rc).getPathParameters().get("tokenId").getString();
      rc.put(AuditTrail.TARGET, new JsonObject().put("tokenId", id));
      ask(rc, Addresses.TOKENS_REVOKE, new JsonObject().put("id", id), reply -> json(rc, 200, reply));
    });
  }

  private void create(RoutingContext rc) {
    JsonObject body = validated(rc).getBody().getJsonObject();
    ask(rc, Addresses.TOKENS_CREATE, new JsonObject().put("name", body.getString("name")).put("role", body.getString("role")),
      made -> {
        rc.put(AuditTrail.TARGET, new JsonObject().put("tokenId", made.getString("id")).put("role", made.getString("role")));
        rc.response().putHeader("Location", ApiVerticle.PREFIX + "/tokens/" + made.getString("id"))
          .putHeader("Cache-Control", "no-store");
        json(rc, 201, made);
      });
  }

  private void ask(RoutingContext rc, String address, JsonObject body, java.util.function.Consumer<JsonObject> onReply) {
    vertx.eventBus().<JsonObject>request(address, body).onSuccess(m -> onReply.accept(m.body())).onFailure(e -> Problems.send(rc, e));
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  private static ValidatedRequest validated(RoutingContext rc) {
    return rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
  }
}
