package io.silentmode;

import io.silentmode.pg.PostgresServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** With DATABASE_URL, readiness follows the database: DOWN while it is stopped, UP again once it is back. */
@ExtendWith(VertxExtension.class)
class PgReadinessTest {

  @TempDir
  Path dir;
  /** A server of its own: this test stops it. */
  private final PostgresServer pg = PostgresServer.start();

  @AfterEach
  void tearDown() {
    pg.close();
  }

  @Test
  void readiness_is_down_while_the_database_is_stopped_and_up_again_when_it_is_back(Vertx vertx) {
    String url = pg.newDatabase();
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setDatabaseUrl(url)).start();
    Api api = fx.api();
    assertEquals("UP", database(api.get("getReadiness", "/api/v1/health/ready", 200)).getString("status"));

    pg.stop();
    JsonObject down = api.get("getReadiness", "/api/v1/health/ready", 503);
    assertEquals("DOWN", database(down).getString("status"), down::encode);
    assertFalse(down.encode().contains(pg.password()), down::encode);
    assertFalse(down.encode().contains(PostgresServer.USER), "no user name to anyone who reaches PORT: " + down.encode());

    pg.restart();
    assertEquals("UP", database(api.get("getReadiness", "/api/v1/health/ready", 200)).getString("status"));
  }

  private static JsonObject database(JsonObject readiness) {
    return readiness.getJsonArray("checks").stream().map(JsonObject.class::cast)
      .filter(c -> "database".equals(c.getString("id"))).findFirst().orElseThrow(() -> new AssertionError(readiness.encode()));
  }
}
