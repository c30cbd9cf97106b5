package io.silentmode.server.store.pg;

import io.silentmode.Main;
import io.silentmode.pg.PostgresServer;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.store.JobStoreVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The schema set up at start, by any number of servers at once, and what an operator reads when connecting fails. */
@ExtendWith(VertxExtension.class)
class PgSchemaTest {

  private final PostgresServer pg = PostgresServer.shared();
  private final String url = pg.newDatabase();

  @Test
  void servers_starting_at_once_and_again_later_apply_each_migration_once(Vertx vertx) {
    Future.all(IntStream.range(0, 4).mapToObj(i -> deploy(vertx, url)).toList()).await();
    deploy(vertx, url).await();

    assertEquals(Migrations.STEPS.size() + "|" + Migrations.STEPS.size(), pg.sql(url, "SELECT count(*), max(version) FROM schema_version"));
    assertEquals("records", pg.sql(url, "SELECT table_name FROM information_schema.tables WHERE table_name = 'records'"));
  }

  @Test
  void a_job_is_a_jsonb_document_with_its_status_and_client_as_columns(Vertx vertx) {
    deploy(vertx, url).await();
    vertx.eventBus().request(Addresses.STORE_JOB_SAVE, new JsonObject().put("job", new JsonObject()
      .put("requestId", "r-1").put("clientId", "shop-7").put("status", "paused").put("extra", 1))).await();

    assertEquals("jobs|r-1|paused|shop-7|1", pg.sql(url, "SELECT kind, id, status, client_id, doc->>'extra' FROM records"));
  }

  @Test
  void a_database_whose_schema_is_newer_than_the_server_is_refused(Vertx vertx) {
    deploy(vertx, url).await();
    pg.sql(url, "INSERT INTO schema_version (version) VALUES (99)");

    String message = failure(vertx, url);
    assertTrue(message.contains("schema is at version 99, newer than this server knows"), message);
  }

  @Test
  void a_malformed_url_is_refused_without_repeating_it(Vertx vertx) {
    for (String bad : List.of("mysql://u:s3cr3t-one@localhost/db", "postgresql://u:s3cr3t-one@localhost:notaport/db")) {
      String message = failure(vertx, bad);
      assertTrue(message.contains("DATABASE_URL"), message);
      assertFalse(message.contains("s3cr3t-one"), message);
    }
  }

  @Test
  void a_wrong_password_an_unknown_database_and_no_server_are_told_apart_without_the_password(Vertx vertx) throws IOException {
    String wrongPassword = url.replace(pg.password(), "n0t-the-password");
    String refused = failure(vertx, wrongPassword);
    assertTrue(refused.contains("refused the login (SQLSTATE 28P01)"), refused);
    assertTrue(refused.contains(PostgresServer.USER + "@127.0.0.1:" + pg.port()), refused);
    assertFalse(refused.contains("n0t-the-password"), refused);

    String missing = failure(vertx, pg.url("no_such_db"));
    assertTrue(missing.contains("the database does not exist"), missing);
    assertFalse(missing.contains(pg.password()), missing);

    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    String unreachable = failure(vertx, url.replace(":" + pg.port() + "/", ":" + closed + "/"));
    assertTrue(unreachable.startsWith("cannot reach PostgreSQL"), unreachable);
    assertFalse(unreachable.contains(pg.password()), unreachable);
  }

  @Test
  void the_server_command_says_in_one_line_why_it_cannot_start_and_exits_1(@TempDir Path dir) {
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("server", "--host", "127.0.0.1", "--port", "0", "--ws-port", "0",
      "--data-dir", dir.resolve("data").toString(), "--download-dir", dir.resolve("downloads").toString(),
      "--database-url", url.replace(pg.password(), "n0t-the-password"));

    assertEquals(1, code, err::toString);
    assertEquals(1, err.toString().lines().count(), err::toString);
    assertTrue(err.toString().startsWith("silentmode server: PostgreSQL " + PostgresServer.USER + "@127.0.0.1:"), err::toString);
    assertFalse(err.toString().contains("n0t-the-password") || err.toString().contains("Exception"), err::toString);
  }

  private static Future<String> deploy(Vertx vertx, String databaseUrl) {
    return vertx.deployVerticle(new JobStoreVerticle(ServerConfig.defaults().setDatabaseUrl(databaseUrl).setDatabasePoolSize(2)));
  }

  private static String failure(Vertx vertx, String databaseUrl) {
    return assertThrows(Exception.class, () -> deploy(vertx, databaseUrl).await()).getMessage();
  }
}
