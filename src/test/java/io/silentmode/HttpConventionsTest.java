package io.silentmode;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What RFC 9110 asks of the answers the router gives itself: Allow on 405, 415 for a wrong media type, no stray bodies. */
@ExtendWith(VertxExtension.class)
class HttpConventionsTest {

  private static final String UNKNOWN = "/api/v1/downloads/00000000-0000-4000-8000-000000000000";

  @TempDir
  Path dir;
  Api api;

  @BeforeEach
  void setUp(Vertx vertx) {
    api = new Fixture(vertx, dir).start().api();
  }

  @Test
  void a_405_names_the_methods_the_path_allows() {
    assertAllow(HttpMethod.PUT, "/api/v1/clients", "GET");
    assertAllow(HttpMethod.DELETE, "/api/v1/downloads", "GET, POST");
    assertAllow(HttpMethod.POST, UNKNOWN, "DELETE, GET");
    assertAllow(HttpMethod.GET, UNKNOWN + "/link", "POST");
    assertAllow(HttpMethod.PATCH, "/api/v1/health/../downloads/00000000-0000-4000-8000-000000000000/retry", "POST");
  }

  @Test
  void a_body_of_another_media_type_gets_415_with_the_accepted_one() {
    HttpResponse<Buffer> text = api.web.post("/api/v1/downloads").putHeader("Content-Type", "text/plain")
      .sendBuffer(Buffer.buffer("{\"clientId\":\"shop-1\"}")).await();
    problem(text, 415, "UNSUPPORTED_MEDIA_TYPE");
    assertEquals("application/json", text.getHeader("Accept"));
    problem(api.web.post("/api/v1/downloads").sendBuffer(Buffer.buffer("clientId=shop-1")).await(), 415, "UNSUPPORTED_MEDIA_TYPE");
    // The declared type, with parameters, is taken as before.
    HttpResponse<Buffer> json = api.web.post("/api/v1/downloads").bearerTokenAuthentication(api.token)
      .putHeader("Content-Type", "application/json; charset=utf-8")
      .sendBuffer(Buffer.buffer("{\"clientId\":\"nobody\"}")).await();
    problem(json, 404, "CLIENT_NOT_FOUND");
  }

  @Test
  void a_body_on_an_operation_that_declares_none_is_refused() {
    JsonObject stray = new JsonObject().put("ttl", 999999);
    JsonObject refused = problem(api.call("createDownloadLink", HttpMethod.POST, UNKNOWN + "/link", stray), 400, "VALIDATION_FAILED");
    assertTrue(refused.getString("detail").contains("takes no request body"), refused.encode());
    problem(api.call("retryDownload", HttpMethod.POST, UNKNOWN + "/retry", stray), 400, "VALIDATION_FAILED");
    problem(api.call("createDownloadLink", HttpMethod.POST, UNKNOWN + "/link", null), 404, "DOWNLOAD_NOT_FOUND");
  }

  private void assertAllow(HttpMethod method, String path, String allow) {
    HttpResponse<Buffer> answer = api.web.request(method, path).send().await();
    problem(answer, 405, "METHOD_NOT_ALLOWED");
    assertEquals(allow, answer.getHeader("Allow"), method + " " + path);
  }
}
