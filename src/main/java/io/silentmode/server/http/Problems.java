package io.silentmode.server.http;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;

/** Every error the API answers, as {@code application/problem+json} (RFC 9457) with a stable code. */
final class Problems {

  static final String CONTENT_TYPE = "application/problem+json";
  private static final System.Logger log = System.getLogger(Problems.class.getName());

  private Problems() {
  }

  static void send(RoutingContext rc, Throwable failure) {
    PullException e = PullException.of(failure);
    send(rc, e.code(), e.getMessage(), null);
  }

  static void send(RoutingContext rc, ErrorCode code, String detail, JsonArray errors) {
    if (rc.response().headWritten()) {
      rc.response().reset();
      return;
    }
    JsonObject problem = new JsonObject()
      .put("type", "urn:silentmode:problem:" + code.name())
      .put("title", title(code))
      .put("status", code.httpStatus())
      .put("detail", detail)
      .put("instance", rc.request().path())
      .put("code", code.name())
      .put("retryable", code.retryable());
    if (errors != null) {
      problem.put("errors", errors);
    }
    rc.response().setStatusCode(code.httpStatus()).putHeader("Content-Type", CONTENT_TYPE).end(problem.encode());
  }

  /** The router's own failures: validation (400), no route (404), wrong method (405), and bugs (500). */
  static void onRouterFailure(RoutingContext rc) {
    Throwable failure = rc.failure();
    if (failure instanceof HttpException http && http.getCause() instanceof ValidatorException invalid) {
      send(rc, ErrorCode.VALIDATION_FAILED, invalid.getMessage(), fields(invalid));
    } else if (failure instanceof PullException || rc.statusCode() < 0 || rc.statusCode() == 500) {
      if (!(failure instanceof PullException)) {
        log.log(System.Logger.Level.ERROR, "Unhandled failure on " + rc.request().method() + " " + rc.request().path(), failure);
      }
      send(rc, failure == null ? new PullException(ErrorCode.INTERNAL_ERROR, "internal error") : failure);
    } else if (rc.statusCode() == 404) {
      send(rc, ErrorCode.NOT_FOUND, "no such resource: " + rc.request().path(), null);
    } else if (rc.statusCode() == 405) {
      send(rc, ErrorCode.METHOD_NOT_ALLOWED, rc.request().method() + " is not allowed on " + rc.request().path(), null);
    } else if (rc.statusCode() == 400) {
      send(rc, ErrorCode.VALIDATION_FAILED, failure == null ? "bad request" : failure.getMessage(), null);
    } else {
      send(rc, ErrorCode.INTERNAL_ERROR, "HTTP " + rc.statusCode(), null);
    }
  }

  /** Each field that failed and why: the JSON pointer into the body, or the parameter's name. */
  private static JsonArray fields(ValidatorException invalid) {
    JsonArray errors = new JsonArray();
    if (invalid instanceof SchemaValidationException schema && schema.getOutputUnit() != null
      && schema.getOutputUnit().getErrors() != null) {
      for (OutputUnit unit : schema.getOutputUnit().getErrors()) {
        String location = unit.getInstanceLocation();
        errors.add(new JsonObject().put("field", location == null || location.isEmpty() ? "/" : location)
          .put("message", unit.getError()));
      }
    }
    if (errors.isEmpty()) {
      errors.add(new JsonObject().put("field", "request").put("message", invalid.getMessage()));
    }
    return errors;
  }

  private static String title(ErrorCode code) {
    String words = code.name().replace('_', ' ').toLowerCase();
    return Character.toUpperCase(words.charAt(0)) + words.substring(1);
  }
}
