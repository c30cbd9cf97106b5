package io.silentmode;

import io.silentmode.server.http.Contract;
import io.vertx.core.Vertx;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Path;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile client dresses a protected path as an open one ({@code /health/../clients}, encoded dot-segments,
 * encoded slashes, doubled slashes): with API_TOKEN set, no such request gets past the token, on any route.
 */
@ExtendWith(VertxExtension.class)
class PathTrickTest {

  private static final String TOKEN = "operator-token";

  @TempDir
  java.nio.file.Path dir;

  @Test
  void dot_segments_encoded_dots_encoded_and_doubled_slashes_never_get_past_the_token(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setApiToken(TOKEN)).start();
    fx.agent("shop-1", fx.randomFile("f.bin", 10));
    int port = fx.server.apiPort();
    List<String> tried = new ArrayList<>();
    for (Operation op : protectedOperations(vertx)) {
      for (String uri : tricks(route(op, "shop-1"))) {
        String method = op.getHttpMethod().name();
        boolean body = op.getRequestBody() != null;
        RawHttp.Answer answer = RawHttp.send(port, method, uri, body ? "Content-Type: application/json\r\n" : "",
          body ? "{\"clientId\":\"shop-1\"}" : null);
        tried.add(method + " " + uri + " -> " + answer.status());
        assertTrue(answer.status() == 401 || answer.status() == 404, method + " " + uri + " answered " + answer.status()
          + ": " + answer.body());
        assertFalse(answer.body().contains("shop-1\",\"connected"), uri);
      }
    }
    // The tricks that resolve to a route reach it, and only its token check stops them.
    RawHttp.Answer resolved = RawHttp.send(port, "GET", "/api/v1/health/%2e%2e/clients", "Authorization: Bearer " + TOKEN + "\r\n", null);
    assertEquals(200, resolved.status(), resolved.body());
    assertTrue(resolved.body().contains("shop-1"), resolved.body());
    assertTrue(tried.size() > 50, "tried " + tried);
  }

  /** Every operation the contract puts behind a token (content without a link signature is one of them). */
  static List<Operation> protectedOperations(Vertx vertx) {
    OpenAPIContract contract = Contract.load(vertx).await().openapi();
    List<Operation> ops = new ArrayList<>();
    for (Path path : contract.getPaths()) {
      for (Operation op : path.getOperations()) {
        if (!op.getSecurityRequirements().isEmpty()) {
          ops.add(op);
        }
      }
    }
    assertTrue(ops.size() >= 14, "protected operations: " + ops.size());
    return ops;
  }

  /** The operation's path with its parameters filled: an agent's id, a made-up pull, a made-up token. */
  static String route(Operation op, String clientId) {
    return op.getOpenAPIPath().replace("{clientId}", clientId).replace("{requestId}", UUID.randomUUID().toString())
      .replace("{tokenId}", "0123456789abcdef").replace("{batchId}", UUID.randomUUID().toString());
  }

  /** {@code route} (such as {@code /clients}) reached through the open {@code /health} and the contract's own path. */
  static List<String> tricks(String route) {
    String rest = route.substring(1);
    return List.of(
      "/api/v1/health/../" + rest,
      "/api/v1/health/%2e%2e/" + rest,
      "/api/v1/health/%2E./" + rest,
      "/api/v1/health/.%2E/" + rest,
      "/api/v1/health/./../" + rest,
      "/api/v1/health/ready/../../" + rest,
      "/api/v1/openapi.yaml/../" + rest,
      "/api/v1/health%2F..%2F" + rest,
      "/api/v1/health/..%2F" + rest,
      "/api/v1/health%2f%2e%2e%2f" + rest,
      "/api/v1/" + route,
      "//api/v1" + route,
      "/api/v1" + route.replace("/", "//"));
  }
}
