package io.silentmode;

import io.silentmode.agent.AgentVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.silentmode.Commands.run;
import static io.silentmode.Commands.withToken;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batch commands against a real server and agents: start and follow, list, status, retry, cancel, exit codes. */
@ExtendWith(VertxExtension.class)
class BatchCliTest {

  @TempDir
  Path dir;
  Fixture fx;
  String server;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).start();
    server = "http://127.0.0.1:" + fx.server.apiPort();
  }

  @Test
  void download_with_a_selector_runs_a_batch_on_one_line_and_exits_1_when_a_member_failed_until_a_retry_fixes_it()
    throws Exception {
    Path file = fx.randomFile("f.bin", 3L * Fixture.CHUNK);
    Path later = dir.resolve("later.bin");
    for (int i = 0; i < 3; i++) {
      labelled("eu-" + i, file);
    }
    labelled("eu-late", later);

    Commands.Run r = cli("download", "-l", "region=eu", "--concurrency", "2", "--wait", "--server", server);
    assertEquals(1, r.code(), "a member failed: " + r.out() + r.err());
    assertTrue(r.err().contains("4 agents matched"), r.err());
    assertTrue(r.err().contains("failed 4/4 done"), "one aggregate line per change, the last one final: " + r.err());
    assertTrue(r.out().contains("eu-late") && r.out().contains("CLIENT"), "a table of the members at the end: " + r.out());
    String batchId = r.out().split("[ :]")[1];

    Commands.Run list = cli("batches", "list", "--json", "--server", server);
    assertEquals(0, list.code(), list.err());
    assertEquals(batchId, new JsonArray(list.out()).getJsonObject(0).getString("batchId"));

    Files.copy(file, later);
    Commands.Run retry = cli("batches", "retry", batchId, "--wait", "--server", server);
    assertEquals(0, retry.code(), retry.out() + retry.err());
    Commands.Run status = cli("batches", "status", batchId, "--json", "--server", server);
    JsonObject batch = new JsonObject(status.out());
    assertEquals("completed", batch.getString("status"), status.out());
    assertEquals(4, batch.getJsonObject("counts").getInteger("completed"));

    Commands.Run again = cli("batches", "retry", batchId, "--server", server);
    assertEquals(5, again.code(), "nothing to retry is a conflict: " + again.err());
    Commands.Run cancel = cli("batches", "cancel", batchId, "--server", server);
    assertEquals(5, cancel.code(), "an ended batch cannot be cancelled: " + cancel.err());
    assertEquals(4, cli("batches", "status", "00000000-0000-0000-0000-000000000000", "--server", server).code());
    assertEquals(2, cli("download", "eu-0", "-l", "region=eu", "--server", server).code(), "one agent or a selector");
  }

  private AgentVerticle labelled(String clientId, Path file) {
    return fx.agent(clientId, file, c -> new AgentVerticle(c, Map.of("region", "eu")));
  }

  /** A command run with the admin token, as an operator would. */
  private Commands.Run cli(String... args) {
    return run(withToken(fx.adminToken, args));
  }
}
