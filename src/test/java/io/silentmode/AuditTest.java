package io.silentmode;

import io.silentmode.server.audit.AuditVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every change an operator makes, and every refused credential, is a line in DATA_DIR/audit.jsonl, kept across restarts. */
@ExtendWith(VertxExtension.class)
class AuditTest {

  @TempDir
  Path dir;

  @Test
  void changes_and_refused_credentials_are_recorded_and_reads_are_not(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).start();
    fx.agent("shop-1", fx.randomFile("f.bin", 1000));
    Api api = fx.api();
    String adminId = fx.adminToken.substring(4, 20);
    String id = api.startPull("shop-1");
    api.awaitDone(id);
    api.token = "wrong";
    assertEquals(401, api.call("listDownloads", HttpMethod.GET, "/api/v1/downloads", null).statusCode());

    List<JsonObject> lines = awaitLines(fx, 2);
    JsonObject created = lines.get(0);
    assertEquals("POST", created.getString("method"));
    assertEquals("/api/v1/downloads", created.getString("path"));
    assertEquals(202, created.getInteger("status"));
    assertEquals("/api/v1/downloads/" + id, created.getString("location"));
    assertEquals("token", created.getString("credential"));
    assertEquals(adminId, created.getString("tokenId"), "the token's id, never its secret");
    assertEquals("127.0.0.1", created.getString("remote"));
    JsonObject refused = lines.get(1);
    assertEquals(401, refused.getInteger("status"), refused::encode);
    assertEquals("GET", refused.getString("method"));
    assertEquals("unauthenticated", refused.getString("refused"));
    assertFalse(Files.readString(AuditVerticle.path(fx.config)).contains(fx.adminToken), "a credential is named, never copied");
    assertFalse(Files.readString(AuditVerticle.path(fx.config)).contains("wrong"));

    fx.server.stop().await();
    fx.start();
    api = fx.api();
    api.token = null;
    assertEquals(401, api.call("cancelDownload", HttpMethod.DELETE, "/api/v1/downloads/" + id, null).statusCode());
    JsonObject after = awaitLines(fx, 3).get(2);
    assertEquals("DELETE", after.getString("method"), "appended after the restart, the old lines kept");
    assertNull(after.getString("credential"));
  }

  private static List<JsonObject> awaitLines(Fixture fx, int n) throws Exception {
    Path log = AuditVerticle.path(fx.config);
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      // the API's records; agents' enrollments are there too (ImpersonationTest)
      List<String> lines = Files.exists(log) ? Files.readAllLines(log).stream()
        .filter(l -> new JsonObject(l).containsKey("method")).toList() : List.of();
      if (lines.size() >= n) {
        assertEquals(n, lines.size(), () -> String.join("\n", lines));
        return lines.stream().map(JsonObject::new).toList();
      }
      assertTrue(System.currentTimeMillis() < deadline, "audit log: " + lines);
      Thread.sleep(10);
    }
  }
}
