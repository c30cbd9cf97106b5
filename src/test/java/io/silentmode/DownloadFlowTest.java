package io.silentmode;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Following a pull (SSE), fetching its file (ranges, ETag), signed links and the API token. */
@ExtendWith(VertxExtension.class)
class DownloadFlowTest {

  private static final String TOKEN = "operator-token";
  private static final String LINK_SECRET = "link-secret-for-tests";

  @TempDir
  Path dir;
  Fixture fx;
  Api api;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).with(c -> c.setApiToken(TOKEN).setLinkSecret(LINK_SECRET).setSseHeartbeat(100)).start();
    api = fx.api();
    api.token = TOKEN;
  }

  @Test
  void server_sent_events_show_monotonic_progress_then_a_final_completed() throws Exception {
    fx.agent("slow-1", fx.randomFile("f.bin", 150L * Fixture.CHUNK), c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    JsonObject job = api.post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", "slow-1"), 202);

    HttpResponse<Buffer> stream = api.call("streamDownloadEvents", HttpMethod.GET,
      "/api/v1/downloads/" + job.getString("requestId") + "/events", null);
    assertEquals(200, stream.statusCode());
    assertTrue(stream.getHeader("Content-Type").startsWith("text/event-stream"));
    List<Event> events = Event.parse(stream.bodyAsString());

    long lastId = 0;
    long lastBytes = -1;
    int progress = 0;
    for (Event e : events) {
      assertTrue(e.id > lastId, "ids increase: " + events);
      lastId = e.id;
      long bytes = e.data.getLong("bytesDone");
      assertTrue(bytes >= lastBytes, "bytesDone never goes back: " + events);
      lastBytes = bytes;
      progress += "progress".equals(e.name) ? 1 : 0;
    }
    assertTrue(progress >= 2, "several progress events during a ~2 s pull: " + events);
    Event last = events.get(events.size() - 1);
    assertEquals("final", last.name);
    assertEquals("completed", last.data.getString("status"));
    assertEquals(150L * Fixture.CHUNK, last.data.getLong("bytesDone"));
    assertTrue(stream.bodyAsString().contains(": keep-alive"), "comment heartbeats while the pull runs");

    // A finished job: one final event, then the stream closes; Last-Event-ID is honoured.
    String events0 = "/api/v1/downloads/" + job.getString("requestId") + "/events";
    List<Event> replay = Event.parse(api.call("streamDownloadEvents", HttpMethod.GET, events0, null).bodyAsString());
    assertEquals(1, replay.size());
    assertEquals("final", replay.get(0).name);
    assertEquals(last.id, replay.get(0).id);
    assertTrue(stream.bodyAsString().startsWith("retry: "), "a reconnection hint opens the stream");
    // Nothing after the client's Last-Event-ID on a finished job: 204, which tells an EventSource to stop.
    HttpResponse<Buffer> upToDate = api.call("streamDownloadEvents", HttpMethod.GET, events0, null,
      r -> r.putHeader("Last-Event-ID", String.valueOf(last.id)));
    assertEquals(204, upToDate.statusCode(), upToDate::bodyAsString);
    assertTrue(upToDate.body() == null || upToDate.body().length() == 0);
    HttpResponse<Buffer> behind = api.call("streamDownloadEvents", HttpMethod.GET, events0, null,
      r -> r.putHeader("Last-Event-ID", String.valueOf(last.id - 1)));
    assertEquals(200, behind.statusCode());
    assertEquals("final", Event.parse(behind.bodyAsString()).get(0).name);
  }

  @Test
  void content_comes_with_etag_digest_name_and_honours_ranges() throws Exception {
    Path file = fx.randomFile("menu export.csv", 3L * Fixture.CHUNK + 11);
    fx.agent("shop-1", file);
    String id = api.pull("shop-1").getString("requestId");
    String content = "/api/v1/downloads/" + id + "/content";
    byte[] original = Files.readAllBytes(file);
    String sha = Fixture.sha256(file);

    HttpResponse<Buffer> whole = api.call("getDownloadContent", HttpMethod.GET, content, null);
    assertEquals(200, whole.statusCode());
    assertArrayEquals(original, whole.body().getBytes());
    assertEquals(String.valueOf(original.length), whole.getHeader("Content-Length"));
    assertEquals("\"" + sha + "\"", whole.getHeader("ETag"));
    assertEquals("sha-256=:" + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha)) + ":", whole.getHeader("Repr-Digest"));
    assertTrue(whole.getHeader("Content-Disposition").contains("filename=\"menu export.csv\""), whole.getHeader("Content-Disposition"));

    HttpResponse<Buffer> part = api.call("getDownloadContent", HttpMethod.GET, content, null, r -> r.putHeader("Range", "bytes=100-199"));
    assertEquals(206, part.statusCode());
    assertEquals("bytes 100-199/" + original.length, part.getHeader("Content-Range"));
    assertArrayEquals(Arrays.copyOfRange(original, 100, 200), part.body().getBytes());

    HttpResponse<Buffer> tail = api.call("getDownloadContent", HttpMethod.GET, content, null, r -> r.putHeader("Range", "bytes=-7"));
    assertEquals(206, tail.statusCode());
    assertArrayEquals(Arrays.copyOfRange(original, original.length - 7, original.length), tail.body().getBytes());

    HttpResponse<Buffer> outside = api.call("getDownloadContent", HttpMethod.GET, content, null,
      r -> r.putHeader("Range", "bytes=" + original.length + "-"));
    problem(outside, 416, "RANGE_NOT_SATISFIABLE");
    assertEquals("bytes */" + original.length, outside.getHeader("Content-Range"));

    HttpResponse<Buffer> unchanged = api.call("getDownloadContent", HttpMethod.GET, content, null,
      r -> r.putHeader("If-None-Match", "\"" + sha + "\""));
    assertEquals(304, unchanged.statusCode());
  }

  @Test
  void a_signed_link_opens_the_file_without_the_token_and_refuses_tampering_and_expiry() throws Exception {
    Path file = fx.randomFile("f.bin", 2L * Fixture.CHUNK + 1);
    fx.agent("shop-1", file);
    String id = api.pull("shop-1").getString("requestId");
    JsonObject link = api.post("createDownloadLink", "/api/v1/downloads/" + id + "/link", null, 200);
    assertTrue(Instant.parse(link.getString("expiresAt")).isAfter(Instant.now().plusSeconds(3500)), "about an hour");
    String url = link.getString("url");
    assertTrue(url.startsWith(api.base() + "/api/v1/downloads/" + id + "/content?"), url);

    WebClient anonymous = WebClient.create(fx.vertx);
    HttpResponse<Buffer> opened = anonymous.getAbs(url).send().await();
    assertEquals(200, opened.statusCode(), opened::bodyAsString);
    assertArrayEquals(Files.readAllBytes(file), opened.body().getBytes());

    String path = "/api/v1/downloads/" + id + "/content";
    long expires = Long.parseLong(url.replaceAll(".*expires=(\\d+).*", "$1"));
    String signature = url.replaceAll(".*signature=", "");
    String flipped = (signature.charAt(0) == 'A' ? "B" : "A") + signature.substring(1);
    problem(anonymous.getAbs(api.base() + path + "?expires=" + expires + "&signature=" + flipped).send().await(), 403, "LINK_INVALID");
    problem(anonymous.getAbs(api.base() + path + "?expires=" + (expires + 3600) + "&signature=" + signature).send().await(), 403, "LINK_INVALID");
    long past = Instant.now().getEpochSecond() - 10;
    problem(anonymous.getAbs(api.base() + path + "?expires=" + past + "&signature=" + sign("GET\n" + path + "\n" + past)).send().await(),
      410, "LINK_EXPIRED");
    problem(anonymous.getAbs(api.base() + path).send().await(), 401, "UNAUTHORIZED");
  }

  @Test
  void with_API_TOKEN_every_operation_but_health_needs_the_bearer_token() {
    api.token = null;
    HttpResponse<Buffer> refused = api.call("listClients", HttpMethod.GET, "/api/v1/clients", null);
    problem(refused, 401, "UNAUTHORIZED");
    assertTrue(refused.getHeader("WWW-Authenticate").startsWith("Bearer"));
    api.token = "wrong";
    problem(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", new JsonObject().put("clientId", "x")), 401, "UNAUTHORIZED");
    api.token = null;
    api.get("getHealth", "/api/v1/health", 200);
    api.get("getReadiness", "/api/v1/health/ready", 200);
    assertEquals(200, api.call("getContract", HttpMethod.GET, "/api/v1/openapi.yaml", null).statusCode());
    api.token = TOKEN;
    api.get("listClients", "/api/v1/clients", 200);
  }

  /** The link signature computed here independently: HMAC-SHA256, base64url without padding. */
  private static String sign(String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(LINK_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** One parsed SSE event. */
  record Event(long id, String name, JsonObject data) {
    static List<Event> parse(String body) {
      List<Event> events = new ArrayList<>();
      for (String block : (body == null ? "" : body).split("\n\n")) {
        long id = -1;
        String name = "message";
        JsonObject data = null;
        for (String line : block.split("\n")) {
          if (line.startsWith("id: ")) {
            id = Long.parseLong(line.substring(4));
          } else if (line.startsWith("event: ")) {
            name = line.substring(7);
          } else if (line.startsWith("data: ")) {
            data = new JsonObject(line.substring(6));
          }
        }
        if (data != null) {
          events.add(new Event(id, name, data));
        }
      }
      return events;
    }
  }
}
