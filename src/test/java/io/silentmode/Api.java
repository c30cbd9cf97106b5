package io.silentmode;

import io.silentmode.server.http.Contract;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A REST client for tests that checks every JSON answer against {@code openapi.yaml}: status, headers and body
 * must be what the operation declares, or the test fails.
 */
final class Api {

  final WebClient web;
  private final ResponseValidator validator;
  private final int port;
  String token;

  Api(Vertx vertx, int port) {
    this.web = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    this.validator = ResponseValidator.create(vertx, Contract.load(vertx).await().openapi());
    this.port = port;
  }

  String base() {
    return "http://127.0.0.1:" + port;
  }

  HttpResponse<Buffer> call(String operationId, HttpMethod method, String path, JsonObject body) {
    return call(operationId, method, path, body, r -> { });
  }

  /** Sends, then validates the answer against the operation's declared responses. */
  HttpResponse<Buffer> call(String operationId, HttpMethod method, String path, JsonObject body,
                            Consumer<HttpRequest<Buffer>> customize) {
    HttpRequest<Buffer> request = web.request(method, path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    customize.accept(request);
    HttpResponse<Buffer> response = (body == null ? request.send() : request.sendJsonObject(body)).await();
    validate(operationId, response);
    return response;
  }

  void validate(String operationId, HttpResponse<Buffer> response) {
    String type = response.getHeader("Content-Type");
    boolean json = type != null && type.contains("json");
    Map<String, String> headers = new HashMap<>();
    MultiMap all = response.headers();
    all.names().forEach(n -> headers.put(n, all.get(n)));
    ValidatableResponse validatable = json
      ? ValidatableResponse.create(response.statusCode(), headers, response.body(), Contract.validatedAs(type))
      : ValidatableResponse.create(response.statusCode(), headers);
    // Binary content and event streams are checked by the tests themselves; 304 has no body to check.
    if (json || response.statusCode() == 304) {
      validator.validate(validatable, operationId).await();
    }
  }

  JsonObject get(String operationId, String path, int expectedStatus) {
    return expect(call(operationId, HttpMethod.GET, path, null), expectedStatus);
  }

  JsonObject post(String operationId, String path, JsonObject body, int expectedStatus) {
    return expect(call(operationId, HttpMethod.POST, path, body), expectedStatus);
  }

  JsonObject delete(String operationId, String path, int expectedStatus) {
    return expect(call(operationId, HttpMethod.DELETE, path, null), expectedStatus);
  }

  static JsonObject expect(HttpResponse<Buffer> response, int expectedStatus) {
    assertEquals(expectedStatus, response.statusCode(), () -> response.bodyAsString());
    return response.body() == null || response.body().length() == 0 ? null : response.bodyAsJsonObject();
  }

  /** Asserts a problem+json answer with this status and code, and returns it. */
  static JsonObject problem(HttpResponse<Buffer> response, int status, String code) {
    JsonObject problem = expect(response, status);
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertEquals(code, problem.getString("code"), problem::encode);
    assertEquals(status, problem.getInteger("status"));
    return problem;
  }

  /** Starts a pull of the agent's own file through the API and returns its requestId. */
  String startPull(String clientId) {
    return post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", clientId), 202).getString("requestId");
  }

  /** Starts a pull and polls it to its end. */
  JsonObject pull(String clientId) throws InterruptedException {
    return awaitDone(startPull(clientId));
  }

  /** Polls the job until it ended: completed, failed or cancelled. */
  JsonObject awaitDone(String requestId) throws InterruptedException {
    return awaitStatus(requestId, "completed", "failed", "cancelled");
  }

  /** Polls the job until its status is one of {@code statuses}. */
  JsonObject awaitStatus(String requestId, String... statuses) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      JsonObject job = get("getDownload", "/api/v1/downloads/" + requestId, 200);
      String status = job.getString("status");
      if (java.util.Arrays.asList(statuses).contains(status)) {
        return job;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("job still " + status + ": " + job.encode());
      }
      Thread.sleep(20);
    }
  }
}
