package io.silentmode;

import io.silentmode.server.audit.AuditVerticle;
import io.silentmode.server.auth.TokensVerticle;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An admin's story with API tokens: the first start's admin token, making viewer and operator tokens, listing
 * them without secrets, revoking one (refused at once, its event streams cut), all of it surviving a restart and written to the audit log;
 * API_TOKEN as a bootstrap admin; ALLOW_UNAUTHENTICATED_API for labs.
 */
@ExtendWith(VertxExtension.class)
class OperatorTokensTest {

  @TempDir
  Path dir;

  @Test
  void a_first_start_writes_one_admin_token_to_DATA_DIR_0600_and_a_restart_keeps_it(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).start();
    Path file = TokensVerticle.adminTokenFile(fx.config);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertTrue(fx.adminToken.matches("smt_[0-9a-f]{16}\\.[A-Za-z0-9_-]{43}"), fx.adminToken);
    JsonArray tokens = fx.api().get("listTokens", "/api/v1/tokens", 200).getJsonArray("items");
    assertEquals(1, tokens.size());
    assertEquals("admin", tokens.getJsonObject(0).getString("role"));
    String stored = Files.readString(Path.of(fx.config.dataDir()).resolve("tokens.json"));
    assertFalse(stored.contains(fx.adminToken.substring(21)), "only the hash is stored");

    fx.server.stop().await();
    fx.start();
    assertEquals(1, fx.api().get("listTokens", "/api/v1/tokens", 200).getJsonArray("items").size(), "no second admin token");
    assertNotNull(fx.api().get("listTokens", "/api/v1/tokens", 200).getJsonArray("items").getJsonObject(0).getString("lastUsedAt"));
  }

  @Test
  void an_admin_makes_lists_and_revokes_tokens_and_a_revoked_one_is_refused_at_once_and_after_a_restart(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).start();
    Api admin = fx.api();
    HttpResponse<Buffer> made = admin.call("createToken", HttpMethod.POST, "/api/v1/tokens",
      new JsonObject().put("name", "ci").put("role", "operator"));
    JsonObject ci = Api.expect(made, 201);
    assertEquals("/api/v1/tokens/" + ci.getString("id"), made.getHeader("Location"));
    assertEquals("no-store", made.getHeader("Cache-Control"));
    assertEquals("operator", ci.getString("role"));
    String secret = ci.getString("token");

    JsonArray listed = admin.get("listTokens", "/api/v1/tokens", 200).getJsonArray("items");
    assertEquals(List.of("admin", "ci"), listed.stream().map(t -> ((JsonObject) t).getString("name")).toList());
    assertFalse(listed.encode().contains(secret.substring(21)), "never a secret");
    assertFalse(listed.encode().contains("hash"), "never a hash");

    Api operator = new Api(vertx, fx.server.apiPort());
    operator.token = secret;
    operator.get("listDownloads", "/api/v1/downloads", 200);
    JsonObject revoked = admin.delete("revokeToken", "/api/v1/tokens/" + ci.getString("id"), 200);
    assertNotNull(revoked.getString("revokedAt"));
    problem(operator.call("listDownloads", HttpMethod.GET, "/api/v1/downloads", null), 401, "UNAUTHORIZED");
    problem(admin.call("revokeToken", HttpMethod.DELETE, "/api/v1/tokens/" + ci.getString("id"), null), 404, "TOKEN_NOT_FOUND");
    problem(admin.call("createToken", HttpMethod.POST, "/api/v1/tokens", new JsonObject().put("name", "x").put("role", "root")),
      400, "VALIDATION_FAILED");

    fx.server.stop().await();
    fx.start();
    operator = new Api(vertx, fx.server.apiPort());
    operator.token = secret;
    problem(operator.call("listDownloads", HttpMethod.GET, "/api/v1/downloads", null), 401, "UNAUTHORIZED");
    assertEquals(1, fx.api().get("listTokens", "/api/v1/tokens", 200).getJsonArray("items").size());

    List<JsonObject> audit = Files.readAllLines(AuditVerticle.path(fx.config)).stream().map(JsonObject::new).toList();
    String adminId = fx.adminToken.substring(4, 20);
    JsonObject creation = audit.stream().filter(l -> l.getInteger("status") == 201).findFirst().orElseThrow();
    assertEquals(adminId, creation.getString("tokenId"));
    assertEquals(new JsonObject().put("tokenId", ci.getString("id")).put("role", "operator"), creation.getJsonObject("target"));
    JsonObject revocation = audit.stream().filter(l -> "DELETE".equals(l.getString("method")) && l.getInteger("status") == 200)
      .findFirst().orElseThrow();
    assertEquals(ci.getString("id"), revocation.getJsonObject("target").getString("tokenId"));
    JsonObject refusedRevoked = audit.stream().filter(l -> l.getInteger("status") == 401).findFirst().orElseThrow();
    assertEquals(ci.getString("id"), refusedRevoked.getString("claimedTokenId"), "the id a refused token named");
    assertNull(refusedRevoked.getString("tokenId"));
    String all = Files.readString(AuditVerticle.path(fx.config));
    assertFalse(all.contains(secret.substring(21)) || all.contains(fx.adminToken.substring(21)), "no secret in the audit log");
  }

  @Test
  void revoking_a_token_cuts_the_event_streams_it_holds_and_their_reconnection_is_refused(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).start();
    fx.agent("slow", fx.randomFile("f.bin", 300L * Fixture.CHUNK), c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    Api admin = fx.api();
    JsonObject viewer = Api.expect(admin.call("createToken", HttpMethod.POST, "/api/v1/tokens",
      new JsonObject().put("name", "console").put("role", "viewer")), 201);
    String path = "/api/v1/downloads/" + fx.startPull("slow", null).getString("requestId") + "/events";
    HttpClient http = vertx.createHttpClient();
    HttpClientResponse stream = http.request(HttpMethod.GET, fx.server.apiPort(), "127.0.0.1", path)
      .compose(r -> r.putHeader("Authorization", "Bearer " + viewer.getString("token")).send()).await();
    assertEquals(200, stream.statusCode());
    Promise<Void> cut = Promise.promise();
    stream.request().connection().closeHandler(v -> cut.tryComplete());
    admin.delete("revokeToken", "/api/v1/tokens/" + viewer.getString("id"), 200);
    cut.future().timeout(5, TimeUnit.SECONDS).await();
    HttpClientResponse again = http.request(HttpMethod.GET, fx.server.apiPort(), "127.0.0.1", path)
      .compose(r -> r.putHeader("Authorization", "Bearer " + viewer.getString("token")).send()).await();
    assertEquals(401, again.statusCode());
  }

  @Test
  void API_TOKEN_is_a_bootstrap_admin_and_no_admin_token_file_is_written(Vertx vertx) {
    String bootstrap = "a-bootstrap-token-of-32-characters";
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setApiToken(bootstrap)).start();
    assertNull(fx.adminToken);
    assertFalse(Files.exists(TokensVerticle.adminTokenFile(fx.config)));
    Api api = fx.api();
    api.token = bootstrap;
    assertEquals(new JsonObject().putNull("tokenId").put("name", "API_TOKEN").put("role", "admin"),
      api.get("getWhoami", "/api/v1/whoami", 200));
    String viewer = Api.expect(api.call("createToken", HttpMethod.POST, "/api/v1/tokens",
      new JsonObject().put("name", "dashboard").put("role", "viewer")), 201).getString("token");
    api.token = viewer;
    assertEquals("viewer", api.get("getWhoami", "/api/v1/whoami", 200).getString("role"));
  }

  @Test
  void ALLOW_UNAUTHENTICATED_API_opens_every_operation_as_admin_and_writes_no_token(Vertx vertx) {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setAllowUnauthenticatedApi(true)).start();
    assertNull(fx.adminToken);
    Api api = fx.api();
    assertEquals(new JsonObject().putNull("tokenId").putNull("name").put("role", "admin"), api.get("getWhoami", "/api/v1/whoami", 200));
    assertEquals(0, api.get("listTokens", "/api/v1/tokens", 200).getJsonArray("items").size());
  }
}
