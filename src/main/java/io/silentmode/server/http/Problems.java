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
import org.slf4j.MDC;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Every error the API answers, as {@code application/problem+json} (RFC 9457) with a stable code. */
final class Problems {

  static final String CONTENT_TYPE = "application/problem+json";
  private static final Pattern NOISE = Pattern.compile("A subschema had errors|^Property \".*\" does not match schema$");
  private static final Pattern REQUIRED = Pattern.compile("required property \"([^\"]+)\"");
  private static final Pattern PARAMETER = Pattern.compile("parameter (\\S+)");
  private static final System.Logger log = System.getLogger(Problems.class.getName());

  private Problems() {
  }

  static void send(RoutingContext rc, Throwable failure) {
    PullException e = PullException.of(failure);
    if (e.code() == ErrorCode.STORAGE_ERROR) {
      // Storage failures name server paths: those stay in the log.
      logError(e.code(), rc.request().method() + " " + rc.request().path() + ": " + e.getMessage(), null);
      send(rc, e.code(), "the server could not write to DOWNLOAD_DIR or DATA_DIR; check their free space and "
        + "permissions (the server log has the details), then retry", null);
      return;
    }
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

  /** An error the client got as a problem: its code leads the line, and is the field {@code code} in JSON logs. */
  private static void logError(ErrorCode code, String message, Throwable failure) {
    try (MDC.MDCCloseable field = MDC.putCloseable("code", code.name())) {
      log.log(System.Logger.Level.ERROR, code + " " + message, failure);
    }
  }

  /**
   * The router's own failures: validation (400), no route (404), wrong method (405), and bugs (500). The status
   * comes from the error handler it was registered for, because a sub-router's context does not always carry it.
   */
  static void onRouterFailure(RoutingContext rc, int status) {
    Throwable failure = rc.failure();
    // The request extractor throws its ValidatorException bare (an undecodable query value), the validator wraps it.
    ValidatorException invalid = failure instanceof ValidatorException bare ? bare
      : failure instanceof HttpException http && http.getCause() instanceof ValidatorException wrapped ? wrapped : null;
    if (invalid != null) {
      JsonArray errors = fields(invalid);
      send(rc, ErrorCode.VALIDATION_FAILED, summary(errors), errors);
    } else if (failure instanceof PullException) {
      send(rc, failure);
    } else if (status == 404) {
      send(rc, ErrorCode.NOT_FOUND, "no such resource: " + rc.request().path(), null);
    } else if (status == 405) {
      send(rc, ErrorCode.METHOD_NOT_ALLOWED, rc.request().method() + " is not allowed on " + rc.request().path(), null);
    } else if (status == 400) {
      send(rc, ErrorCode.VALIDATION_FAILED, failure == null ? "bad request" : failure.getMessage(), null);
    } else {
      logError(ErrorCode.INTERNAL_ERROR, "Unhandled failure on " + rc.request().method() + " " + rc.request().path(), failure);
      send(rc, ErrorCode.INTERNAL_ERROR, "internal error; the server log has the details", null);
    }
  }

  /**
   * Each field that failed and why, as a dotted path into the body or the parameter's name. The schema
   * validator reports every level of a failure ("A subschema had errors", ...): only the leaves are kept.
   */
  private static JsonArray fields(ValidatorException invalid) {
    Map<String, String> byField = new LinkedHashMap<>();
    if (invalid instanceof SchemaValidationException schema && schema.getOutputUnit() != null
      && schema.getOutputUnit().getErrors() != null) {
      for (OutputUnit unit : schema.getOutputUnit().getErrors()) {
        String message = unit.getError();
        if (message == null || NOISE.matcher(message).find()) {
          continue;
        }
        String field = unit.getInstanceLocation() == null ? "" : unit.getInstanceLocation().replaceFirst("^#/?", "").replace('/', '.');
        Matcher required = REQUIRED.matcher(message);
        if (required.find()) {
          field = field.isEmpty() ? required.group(1) : field + "." + required.group(1);
          message = "is required";
        } else if (message.contains("additional properties")) {
          message = "is not a known property";
        }
        if (field.isEmpty()) {
          field = parameterName(invalid.getMessage());
        }
        // A property that fails a real check also "fails" additionalProperties: keep the real reason.
        if (!"is not a known property".equals(message) || !byField.containsKey(field)) {
          byField.put(field, message);
        }
      }
    }
    JsonArray errors = new JsonArray();
    byField.forEach((field, message) -> errors.add(new JsonObject().put("field", field).put("message", message)));
    if (errors.isEmpty()) {
      errors.add(new JsonObject().put("field", parameterName(invalid.getMessage())).put("message", invalid.getMessage()));
    }
    return errors;
  }

  /** "The value of path parameter requestId is invalid..." names the parameter. */
  private static String parameterName(String message) {
    Matcher m = PARAMETER.matcher(message == null ? "" : message);
    return m.find() ? m.group(1) : "body";
  }

  private static String summary(JsonArray errors) {
    StringBuilder s = new StringBuilder("invalid request: ");
    for (int i = 0; i < errors.size(); i++) {
      JsonObject e = errors.getJsonObject(i);
      s.append(i == 0 ? "" : "; ").append(e.getString("field")).append(' ').append(e.getString("message"));
    }
    return s.toString();
  }

  private static String title(ErrorCode code) {
    String words = code.name().replace('_', ' ').toLowerCase();
    return Character.toUpperCase(words.charAt(0)) + words.substring(1);
  }
}
