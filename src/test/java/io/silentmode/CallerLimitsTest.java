package io.silentmode;

import io.silentmode.server.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** API_RATE_LIMIT and MAX_EVENT_STREAMS, per token: beyond them, 429 with Retry-After, probes exempt. */
@ExtendWith(VertxExtension.class)
class CallerLimitsTest {

  @TempDir
  Path dir;

  @Test
  void a_burst_beyond_twice_API_RATE_LIMIT_from_one_token_gets_429_with_Retry_After_and_probes_do_not_count(Vertx vertx) {
    Api api = new Fixture(vertx, dir).with(c -> c.setApiRateLimit(5)).start().api();
    int ok = 0;
    HttpResponse<Buffer> refused = null;
    for (int i = 0; i < 30 && refused == null; i++) {
      HttpResponse<Buffer> r = api.call("listClients", HttpMethod.GET, "/api/v1/clients", null);
      if (r.statusCode() == 429) {
        refused = r;
      } else {
        ok++;
      }
    }
    assertTrue(refused != null, "30 requests at once, a limit of 5 a second");
    assertTrue(ok >= 9 && ok <= 11, "a burst of twice the rate went through: " + ok);
    assertTrue(problem(refused, 429, "TOO_MANY_REQUESTS").getString("detail").contains("API_RATE_LIMIT"));
    assertTrue(Integer.parseInt(refused.getHeader("Retry-After")) >= 1);
    for (int i = 0; i < 30; i++) {
      assertEquals(200, api.call("getHealth", HttpMethod.GET, "/api/v1/health", null).statusCode());
    }
  }

  @Test
  void one_token_holds_at_most_MAX_EVENT_STREAMS_streams_and_a_closed_one_frees_its_place(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setMaxEventStreams(2)).start();
    fx.agent("slow", fx.randomFile("f.bin", 300L * Fixture.CHUNK), c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    JsonObject job = fx.startPull("slow", null); // running for seconds: its stream stays open
    String path = "/api/v1/downloads/" + job.getString("requestId") + "/events";
    HttpClient http = vertx.createHttpClient();
    HttpClientResponse first = open(http, fx, path);
    open(http, fx, path);

    problem(fx.api().call("streamDownloadEvents", HttpMethod.GET, path, null), 429, "TOO_MANY_REQUESTS");
    first.request().connection().close().await();
    long deadline = System.currentTimeMillis() + 5_000;
    int status;
    do {
      HttpClientResponse again = http.request(HttpMethod.GET, fx.server.apiPort(), "127.0.0.1", path)
        .compose(r -> r.putHeader("Authorization", fx.authorization()).send()).await();
      status = again.statusCode();
      again.request().connection().close();
    } while (status == 429 && System.currentTimeMillis() < deadline);
    assertEquals(200, status, "a closed stream freed its place");
    fx.request(Addresses.DOWNLOADS_CANCEL, new JsonObject().put("requestId", job.getString("requestId")));
  }

  private static HttpClientResponse open(HttpClient http, Fixture fx, String path) {
    HttpClientResponse response = http.request(HttpMethod.GET, fx.server.apiPort(), "127.0.0.1", path)
      .compose(r -> r.putHeader("Authorization", fx.authorization()).send()).await();
    assertEquals(200, response.statusCode());
    return response;
  }
}
