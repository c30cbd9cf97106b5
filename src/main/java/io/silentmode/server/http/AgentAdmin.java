package io.silentmode.server.http;

import io.silentmode.server.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;

/**
 * The admin operations on agents' identities: revoke, re-enroll (the registry's), and show or rotate the enrollment
 * token (the enrollment verticle's). Each is one bus request; a failure is the problem+json answer.
 */
final class AgentAdmin {

  private final Vertx vertx;

  AgentAdmin(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(RouterBuilder rb) {
    rb.getRoute("revokeClient").addHandler(rc -> ask(rc, Addresses.REGISTRY_REVOKE, clientId(rc)));
    rb.getRoute("reenrollClient").addHandler(rc -> ask(rc, Addresses.REGISTRY_REENROLL, clientId(rc)));
    rb.getRoute("getEnrollmentToken").addHandler(rc -> ask(rc, Addresses.ENROLLMENT_TOKEN, new JsonObject()));
    rb.getRoute("rotateEnrollmentToken").addHandler(rc -> ask(rc, Addresses.ENROLLMENT_ROTATE, new JsonObject()));
  }

  private void ask(RoutingContext rc, String address, JsonObject body) {
    vertx.eventBus().<JsonObject>request(address, body)
      .onSuccess(reply -> rc.response().putHeader("Content-Type", "application/json")
        // a token is a credential: no cache may keep it
        .putHeader("Cache-Control", "no-store")
        .end(reply.body().encode()))
      .onFailure(e -> Problems.send(rc, e));
  }

  private static JsonObject clientId(RoutingContext rc) {
    ValidatedRequest request = rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    return new JsonObject().put("clientId", request.getPathParameters().get("clientId").getString());
  }
}
