package io.silentmode;

import io.silentmode.server.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hostile operator's other tries: a signed link stretched beyond its file, its expiry or its operation;
 * bodies over MAX_BODY_SIZE, announced or chunked; a burst over API_RATE_LIMIT from one token, and from one address
 * with bad tokens; more event streams on one token than MAX_EVENT_STREAMS. Each refusal is counted in
 * {@code silentmode_api_refused_total}. Real server with metrics on, raw sockets where clients would tidy up.
 */
class HostileLinkAndLimitTest {

  @TempDir
  Path dir;
  private final Vertx vertx = Metrics.vertxBuilder("test-node").build();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void a_link_opens_its_own_file_only_until_it_expires_and_a_signature_stands_in_for_no_token_elsewhere() throws Exception {
    Fixture fx = new Fixture(vertx, dir).start();
    Path file = fx.randomFile("f.bin", 3000);
    fx.agent("shop-1", file);
    Api api = fx.api();
    String id = api.pull("shop-1").getString("requestId");
    String other = api.pull("shop-1").getString("requestId");
    String url = api.post("createDownloadLink", "/api/v1/downloads/" + id + "/link", null, 200).getString("url");
    String query = url.substring(url.indexOf('?'));
    int port = fx.server.apiPort();

    RawHttp.Answer opened = RawHttp.send(port, "GET", "/api/v1/downloads/" + id + "/content" + query, "", null);
    assertEquals(200, opened.status(), opened.body());
    assertEquals("3000", opened.header("Content-Length"));
    // The same link through dot-segments still names the same file: the signature is over the path in normal form.
    assertEquals(200, RawHttp.send(port, "GET", "/api/v1/health/../downloads/" + id + "/content" + query, "", null).status());
    // ... but not another pull's file, nor another operation of the same pull.
    assertRefused(RawHttp.send(port, "GET", "/api/v1/downloads/" + other + "/content" + query, "", null), 403, "LINK_INVALID");
    assertRefused(RawHttp.send(port, "GET", "/api/v1/health/../downloads/" + other + "/content" + query, "", null), 403, "LINK_INVALID");
    for (String elsewhere : List.of("/api/v1/downloads/" + id, "/api/v1/downloads/" + id + "/events", "/api/v1/tokens",
      "/api/v1/downloads/" + id + "/content/../../" + id)) {
      assertRefused(RawHttp.send(port, "GET", elsewhere + query, "", null), 401, "UNAUTHORIZED");
    }
    assertRefused(RawHttp.send(port, "POST", "/api/v1/downloads/" + id + "/link" + query, "", null), 401, "UNAUTHORIZED");
    // Tampered, extended and expired.
    String signature = query.replaceAll(".*signature=", "");
    String expires = query.replaceAll(".*expires=(\\d+).*", "$1");
    String content = "/api/v1/downloads/" + id + "/content";
    assertRefused(RawHttp.send(port, "GET", content + "?expires=" + expires + "&signature=" + signature.substring(1) + "A", "", null),
      403, "LINK_INVALID");
    assertRefused(RawHttp.send(port, "GET", content + "?expires=" + (Long.parseLong(expires) + 86400) + "&signature=" + signature, "", null),
      403, "LINK_INVALID");
    assertRefused(RawHttp.send(port, "GET", content + "?signature=" + signature, "", null), 403, "LINK_INVALID");
    assertRefused(RawHttp.send(port, "GET", content + "?expires=" + expires, "", null), 403, "LINK_INVALID");
  }

  @Test
  void an_expired_link_is_refused_with_410() throws Exception {
    Fixture shortLinks = new Fixture(vertx, dir).with(c -> c.setLinkTtl(1000)).start();
    shortLinks.agent("shop-2", shortLinks.randomFile("f.bin", 3000));
    Api shortApi = shortLinks.api();
    String pulled = shortApi.pull("shop-2").getString("requestId");
    String shortUrl = shortApi.post("createDownloadLink", "/api/v1/downloads/" + pulled + "/link", null, 200).getString("url");
    String shortPath = shortUrl.substring(shortUrl.indexOf("/api/v1"));
    long expiry = Long.parseLong(shortUrl.replaceAll(".*expires=(\\d+).*", "$1"));
    while (Instant.now().getEpochSecond() <= expiry) {
      Thread.sleep(50); // waiting for the clock to pass the link's expiry, which is the event under test
    }
    assertRefused(RawHttp.send(shortLinks.server.apiPort(), "GET", shortPath, "", null), 410, "LINK_EXPIRED");
  }

  @Test
  void a_body_over_MAX_BODY_SIZE_gets_413_announced_or_chunked_and_before_any_token_check() throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setMaxBodySize(1024)).start();
    Api api = fx.api();
    String big = "{\"clientId\":\"shop-1\",\"path\":\"" + "a".repeat(2000) + "\"}";
    HttpResponse<Buffer> announced = api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", new JsonObject(big));
    assertTrue(problem(announced, 413, "PAYLOAD_TOO_LARGE").getString("detail").contains("MAX_BODY_SIZE (1024 bytes)"));
    problem(api.call("createToken", HttpMethod.POST, "/api/v1/tokens",
      new JsonObject().put("name", "x").put("role", "viewer").put("pad", "p".repeat(2000))), 413, "PAYLOAD_TOO_LARGE");
    // Without a token, and chunked so that no Content-Length announces it: refused once 1024 bytes are in.
    RawHttp.Answer chunked = chunked(fx.server.apiPort(), "/api/v1/downloads", big);
    assertRefused(chunked, 413, "PAYLOAD_TOO_LARGE");
    // A body under the limit is taken as before.
    problem(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", new JsonObject().put("clientId", "nobody")), 404, "CLIENT_NOT_FOUND");
    assertEquals(3.0, refused(fx, "body_too_large"));
  }

  @Test
  void a_burst_from_one_token_gets_429_with_Retry_After_while_another_token_and_the_probes_go_on() throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setApiRateLimit(5)).start();
    Api api = fx.api();
    JsonObject viewer = Api.expect(api.call("createToken", HttpMethod.POST, "/api/v1/tokens",
      new JsonObject().put("name", "dashboard").put("role", "viewer")), 201);
    HttpResponse<Buffer> refused = null;
    for (int i = 0; i < 30 && refused == null; i++) {
      HttpResponse<Buffer> r = api.call("listClients", HttpMethod.GET, "/api/v1/clients", null);
      refused = r.statusCode() == 429 ? r : null;
    }
    assertTrue(refused != null, "30 requests at once, a limit of 5 a second");
    assertTrue(problem(refused, 429, "TOO_MANY_REQUESTS").getString("detail").contains("API_RATE_LIMIT (5) requests a second from this token"));
    assertTrue(Integer.parseInt(refused.getHeader("Retry-After")) >= 1);
    // Another token from the same address has its own bucket; the probes need none.
    Api other = new Api(vertx, fx.server.apiPort());
    other.token = viewer.getString("token");
    other.get("listClients", "/api/v1/clients", 200);
    other.get("getHealth", "/api/v1/health", 200);
    assertTrue(refused(fx, "rate_limited") >= 1);
  }

  @Test
  void an_address_that_keeps_presenting_bad_tokens_is_slowed_down_to_429() throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setApiRateLimit(5)).start();
    int unauthorized = 0;
    RawHttp.Answer last = null;
    for (int i = 0; i < 30; i++) {
      String guess = "smt_" + String.format("%016x", i) + "." + "A".repeat(43);
      last = RawHttp.send(fx.server.apiPort(), "GET", "/api/v1/clients", "Authorization: Bearer " + guess + "\r\n", null);
      if (last.status() == 401) {
        unauthorized++;
      } else {
        break;
      }
    }
    assertRefused(last, 429, "TOO_MANY_REQUESTS");
    assertTrue(last.body().contains("from this address"), last.body());
    assertTrue(unauthorized >= 9 && unauthorized <= 11, "a burst of twice the rate was answered 401: " + unauthorized);
    // The admin's own token is another caller: not slowed by the guesser on the same address.
    fx.api().get("listClients", "/api/v1/clients", 200);
    assertEquals(unauthorized, refused(fx, "unauthenticated"));
  }

  @Test
  void one_token_holds_at_most_MAX_EVENT_STREAMS_streams_and_another_token_has_its_own() throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setMaxEventStreams(1)).start();
    fx.agent("slow", fx.randomFile("f.bin", 300L * Fixture.CHUNK), c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    Api api = fx.api();
    String viewer = Api.expect(api.call("createToken", HttpMethod.POST, "/api/v1/tokens",
      new JsonObject().put("name", "console").put("role", "viewer")), 201).getString("token");
    String path = "/api/v1/downloads/" + fx.startPull("slow", null).getString("requestId") + "/events";
    HttpClient http = vertx.createHttpClient();
    assertEquals(200, stream(http, fx, path, fx.adminToken).statusCode());
    RawHttp.Answer second = RawHttp.send(fx.server.apiPort(), "GET", path, "Authorization: " + fx.authorization() + "\r\n", null);
    assertRefused(second, 429, "TOO_MANY_REQUESTS");
    assertTrue(second.body().contains("this token already holds MAX_EVENT_STREAMS (1)"), second.body());
    assertEquals("5", second.header("Retry-After"));
    assertEquals(200, stream(http, fx, path, viewer).statusCode(), "another token, the same address");
    assertEquals(1.0, refused(fx, "too_many_streams"));
  }

  private static HttpClientResponse stream(HttpClient http, Fixture fx, String path, String token) {
    return http.request(HttpMethod.GET, fx.server.apiPort(), "127.0.0.1", path)
      .compose(r -> r.putHeader("Authorization", "Bearer " + token).send()).await();
  }

  /** {@code silentmode_api_refused_total} for {@code reason}, as scraped. */
  private static double refused(Fixture fx, String reason) {
    long deadline = System.currentTimeMillis() + 5_000;
    double value;
    do { // the count follows the answer over the event bus
      String text = fx.api().web.get(Metrics.PATH).send().await().bodyAsString();
      value = PromText.value(PromText.parse(text), "silentmode_api_refused_total", "reason", reason);
    } while (value == 0 && System.currentTimeMillis() < deadline);
    return value;
  }

  private static void assertRefused(RawHttp.Answer answer, int status, String code) {
    assertEquals(status, answer.status(), answer.body());
    assertTrue(answer.body().contains("\"code\":\"" + code + "\""), answer.body());
    assertTrue(answer.head().contains("application/problem+json"), answer.head());
  }

  /** POSTs {@code body} in 100-byte chunks, with no Content-Length, and reads the answer. */
  private static RawHttp.Answer chunked(int port, String path, String body) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      var out = socket.getOutputStream();
      out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      try {
        for (int i = 0; i < body.length(); i += 100) {
          String piece = body.substring(i, Math.min(body.length(), i + 100));
          out.write((Integer.toHexString(piece.length()) + "\r\n" + piece + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      } catch (java.io.IOException closedEarly) {
        // the server may answer and close before the last chunk: what it said is still to be read
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      in.transferTo(answer);
      String text = answer.toString(StandardCharsets.UTF_8);
      int end = text.indexOf("\r\n\r\n");
      return new RawHttp.Answer(Integer.parseInt(text.split(" ")[1]), text.substring(0, end), text.substring(end + 4));
    }
  }
}
