package io.silentmode;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A callbackUrl is a request for the server to POST somewhere: a huge one is a 400 (not a crash), and by default
 * the server refuses to POST to itself, its network or the cloud's metadata service. The pulls here name an unknown
 * agent, so an accepted URL shows as 404 CLIENT_NOT_FOUND and nothing is ever posted.
 */
@ExtendWith(VertxExtension.class)
class CallbackUrlTest {

  private static final List<String> NOT_PUBLIC = List.of(
    "http://127.0.0.1:3000/api/v1/downloads", "http://127.1/", "http://2130706433/", "http://0x7f000001/",
    "http://localhost:8080/", "http://api.localhost/", "http://0.0.0.0:3000/", "http://0.1.2.3/",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/",
    "http://100.64.0.1/", "http://224.0.0.1/", "http://255.255.255.255/",
    "http://[::1]:3000/", "http://[::]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/", "http://[::127.0.0.1]/",
    "http://[fe80::1]/", "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://[ff02::1]/", "HTTP://127.0.0.1/");

  private static final List<String> PUBLIC = List.of(
    "https://hooks.example.com/silentmode", "http://93.184.216.34:8080/hook", "http://[2606:4700::1111]/hook",
    "https://example.com/" + "a".repeat(2000));

  @TempDir
  Path dir;

  @Test
  void a_callbackUrl_of_3000_characters_is_a_400_not_a_crash(Vertx vertx) {
    Api api = new Fixture(vertx, dir).start().api();
    JsonObject refused = problem(create(api, "http://" + "a".repeat(3000)), 400, "VALIDATION_FAILED");
    assertTrue(refused.encode().contains("callbackUrl"), refused::encode);
  }

  @Test
  void by_default_loopback_private_link_local_multicast_and_unspecified_targets_are_refused(Vertx vertx) {
    Api api = new Fixture(vertx, dir).start().api();
    for (String url : NOT_PUBLIC) {
      JsonObject refused = problem(create(api, url), 400, "VALIDATION_FAILED");
      assertEquals("callbackUrl", refused.getJsonArray("errors").getJsonObject(0).getString("field"), url);
    }
    String metadata = problem(create(api, "http://169.254.169.254/"), 400, "VALIDATION_FAILED").getString("detail");
    assertTrue(metadata.contains("link-local") && metadata.contains("ALLOW_PRIVATE_CALLBACKS"), metadata);
    for (String url : PUBLIC) {
      problem(create(api, url), 404, "CLIENT_NOT_FOUND");
    }
  }

  @Test
  void ALLOW_PRIVATE_CALLBACKS_lets_an_operator_use_a_receiver_on_the_same_network(Vertx vertx) {
    Api api = new Fixture(vertx, dir).with(c -> c.setAllowPrivateCallbacks(true)).start().api();
    for (String url : List.of("http://127.0.0.1:3000/hook", "http://[::1]/hook", "http://10.0.0.1/hook", "http://localhost/")) {
      problem(create(api, url), 404, "CLIENT_NOT_FOUND");
    }
    problem(create(api, "ftp://127.0.0.1/"), 400, "VALIDATION_FAILED");
  }

  private static io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> create(Api api, String url) {
    return api.call("createDownload", HttpMethod.POST, "/api/v1/downloads",
      new JsonObject().put("clientId", "nobody").put("callbackUrl", url));
  }
}
