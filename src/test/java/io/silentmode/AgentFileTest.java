package io.silentmode;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The agent serves only its configured file, and says clearly why it cannot. */
@ExtendWith(VertxExtension.class)
class AgentFileTest {

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).start();
  }

  @Test
  void a_missing_file_fails_with_FILE_NOT_FOUND() throws Exception {
    fx.agent("shop-1", dir.resolve("not-there.txt"));

    assertFailed("FILE_NOT_FOUND", fx.pull("shop-1"));
  }

  @Test
  void an_unreadable_file_fails_with_PERMISSION_DENIED() throws Exception {
    assumeFalse("root".equals(System.getProperty("user.name")), "root reads files whatever their mode");
    Path secret = fx.randomFile("secret.txt", 100);
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
    fx.agent("shop-2", secret);

    assertFailed("PERMISSION_DENIED", fx.pull("shop-2"));
  }

  @Test
  void a_path_the_agent_does_not_serve_is_refused_with_PERMISSION_DENIED() throws Exception {
    Path served = fx.randomFile("served.txt", 100);
    Path other = fx.randomFile("other.txt", 100);
    fx.agent("shop-3", served);

    assertFailed("PERMISSION_DENIED", fx.awaitFinal(fx.startPull("shop-3", other.toString())));
    assertFailed("PERMISSION_DENIED", fx.awaitFinal(fx.startPull("shop-3", "/etc/passwd")));
    String around = dir.resolve("sub/../other.txt").toString();
    assertFailed("PERMISSION_DENIED", fx.awaitFinal(fx.startPull("shop-3", around)));
  }

  @Test
  void the_served_file_may_be_named_by_any_path_that_resolves_to_it() throws Exception {
    Path served = fx.randomFile("served.txt", 1000);
    Files.createDirectory(dir.resolve("sub"));
    fx.agent("shop-4", served);

    JsonObject result = fx.awaitFinal(fx.startPull("shop-4", dir.resolve("sub/../served.txt").toString()));

    assertEquals("completed", result.getString("status"), result::encode);
    assertEquals(Fixture.sha256(served), result.getJsonObject("file").getString("sha256"));
  }

  private void assertFailed(String code, JsonObject result) throws Exception {
    assertEquals("failed", result.getString("status"));
    assertEquals(code, result.getJsonObject("error").getString("code"), result::encode);
    assertTrue(result.getJsonObject("error").getString("message").contains("shop-"), "names the agent");
    assertTrue(fx.downloadDirContents().isEmpty());
  }
}
