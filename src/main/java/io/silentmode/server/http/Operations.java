package io.silentmode.server.http;

import io.silentmode.protocol.ErrorCode;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Path;
import io.vertx.openapi.contract.RequestBody;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The contract's operations by method and path, for what the generated router leaves out: the {@code Allow}
 * header of a 405 (RFC 9110 requires it), 415 for a body of a media type the operation does not take (the
 * validator would say 400), and refusing a body on an operation that declares none (the validator ignores it).
 */
final class Operations {

  private record Entry(String[] segments, Operation operation) {
  }

  private final List<Entry> entries = new ArrayList<>();

  /** {@code prefix} is where the contract's paths are mounted, such as {@code /api/v1}. */
  Operations(OpenAPIContract contract, String prefix) {
    for (Path path : contract.getPaths()) {
      for (Operation operation : path.getOperations()) {
        entries.add(new Entry((prefix + path.getName()).split("/", -1), operation));
      }
    }
  }

  /** The methods the contract has for {@code path} (in normal form), sorted; empty when it has no such path. */
  Set<String> allowed(String path) {
    Set<String> methods = new TreeSet<>();
    String[] segments = path.split("/", -1);
    for (Entry e : entries) {
      if (matches(e.segments, segments)) {
        methods.add(e.operation.getHttpMethod().name());
      }
    }
    return methods;
  }

  /** A handler that answers 415 or 400 for a body the matched operation does not take, before routing on. */
  void checkBody(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    Operation operation = find(request.method().name(), rc.normalizedPath());
    if (operation == null || !hasBody(request)) {
      rc.next();
      return;
    }
    RequestBody body = operation.getRequestBody();
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    if (body == null) {
      Problems.send(rc, ErrorCode.VALIDATION_FAILED, request.method() + " " + rc.normalizedPath()
        + " takes no request body; send none", null);
    } else if (type == null || body.determineContentType(type) == null) {
      rc.response().putHeader("Accept", String.join(", ", body.getContent().keySet()));
      Problems.send(rc, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "the body must be " + String.join(" or ", body.getContent().keySet())
        + ", not " + (type == null ? "untyped" : type), null);
    } else {
      rc.next();
    }
  }

  private Operation find(String method, String path) {
    String[] segments = path.split("/", -1);
    for (Entry e : entries) {
      if (e.operation.getHttpMethod().name().equals(method) && matches(e.segments, segments)) {
        return e.operation;
      }
    }
    return null;
  }

  private static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null || length != null && !"0".equals(length.trim());
  }

  /** A template segment {@code {name}} matches any one segment; the others match themselves. */
  private static boolean matches(String[] template, String[] path) {
    if (template.length != path.length) {
      return false;
    }
    for (int i = 0; i < template.length; i++) {
      if (!template[i].startsWith("{") && !template[i].equals(path[i])) {
        return false;
      }
    }
    return true;
  }
}
