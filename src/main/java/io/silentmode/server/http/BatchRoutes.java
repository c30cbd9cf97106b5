package io.silentmode.server.http;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;

import java.time.Instant;

import static io.silentmode.server.http.ApiVerticle.ask;
import static io.silentmode.server.http.ApiVerticle.json;
import static io.silentmode.server.http.ApiVerticle.path;
import static io.silentmode.server.http.ApiVerticle.validated;

/** The batch operations of the contract, each turned into a request to the batch verticle. */
final class BatchRoutes {

  private final ServerConfig config;
  private final EventStream events;
  private final CallerLimits limits;

  BatchRoutes(ServerConfig config, EventStream events, CallerLimits limits) {
    this.config = config;
    this.events = events;
    this.limits = limits;
  }

  void mount(RouterBuilder rb) {
    rb.getRoute("createBatch").addHandler(this::create);
    rb.getRoute("listBatches").addHandler(rc -> ask(rc, Addresses.BATCHES_LIST, ApiVerticle.page(validated(rc).getQuery()),
      reply -> json(rc, 200, body(reply))));
    rb.getRoute("getBatch").addHandler(rc -> ask(rc, Addresses.BATCHES_GET, batchId(rc), reply -> json(rc, 200, body(reply))));
    rb.getRoute("cancelBatch").addHandler(rc -> ask(rc, Addresses.BATCHES_CANCEL, batchId(rc), reply -> json(rc, 200, body(reply))));
    rb.getRoute("retryBatch").addHandler(rc -> ApiVerticle.withRoom(config, rc, () -> ask(rc, Addresses.BATCHES_RETRY,
      batchId(rc), reply -> accepted(rc, body(reply)))));
    rb.getRoute("streamBatchEvents").addHandler(rc -> limits.stream(rc, () -> events.handleBatch(rc, path(rc, "batchId"))));
  }

  private void create(RoutingContext rc) {
    JsonObject body = validated(rc).getBody().getJsonObject();
    String refusal = refusal(body);
    if (refusal != null) {
      String field = refusal.substring(0, refusal.indexOf(' '));
      Problems.send(rc, ErrorCode.VALIDATION_FAILED, refusal,
        new JsonArray().add(new JsonObject().put("field", field).put("message", refusal.substring(field.length() + 1))));
      return;
    }
    JsonObject create = new JsonObject().put("request", body).put("idempotencyKey", rc.request().getHeader("Idempotency-Key"));
    ApiVerticle.withRoom(config, rc, () -> ask(rc, Addresses.BATCHES_CREATE, create, reply -> {
      if ("true".equals(reply.headers().get("replayed"))) {
        rc.response().putHeader("Idempotent-Replayed", "true");
      }
      accepted(rc, body(reply));
    }));
  }

  /** What the contract cannot say: one of selector and clientIds, a deadline ahead, a callback allowed. */
  private String refusal(JsonObject body) {
    if (body.containsKey("selector") == body.containsKey("clientIds")) {
      return "selector or clientIds: give exactly one of them";
    }
    String deadline = body.getString("deadline");
    if (deadline != null && !Instant.parse(deadline).isAfter(Instant.now())) {
      return "deadline " + deadline + " has passed; give one in the future";
    }
    String callbackUrl = body.getString("callbackUrl");
    String callback = callbackUrl == null ? null : CallbackUrls.refusal(callbackUrl, config.allowPrivateCallbacks());
    return callback == null ? null : "callbackUrl " + callback;
  }

  private static void accepted(RoutingContext rc, JsonObject batch) {
    rc.response().putHeader("Location", ApiVerticle.PREFIX + "/batches/" + batch.getString("batchId"));
    json(rc, 202, batch);
  }

  private static JsonObject body(Message<?> reply) {
    JsonObject batch = (JsonObject) reply.body();
    batch.remove("seq");
    return batch;
  }

  private static JsonObject batchId(RoutingContext rc) {
    return new JsonObject().put("batchId", path(rc, "batchId"));
  }
}
