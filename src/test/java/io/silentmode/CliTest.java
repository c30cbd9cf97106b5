package io.silentmode;

import io.silentmode.Commands.Run;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator commands, run through the real command model against a real server and agents. */
@ExtendWith(VertxExtension.class)
class CliTest {

  @TempDir
  Path dir;
  Fixture fx;
  String server;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).start();
    server = "http://127.0.0.1:" + fx.server.apiPort();
  }

  private Run run(String... args) {
    return run(new StringWriter(), args);
  }

  /**
   * Runs with stderr going to {@code err}, which a test may read while the command runs (StringWriter locks), with
   * the admin token unless the test names a token itself.
   */
  private Run run(StringWriter err, String... args) {
    return Commands.run(err, Commands.withToken(fx.adminToken, args));
  }


  @Test
  void clients_list_prints_a_table_or_json_and_takes_global_options_anywhere() throws Exception {
    fx.agent("shop-1", fx.randomFile("f", 10));
    Run table = run("clients", "list", "--server", server);
    assertEquals(0, table.code(), table.err());
    assertTrue(table.out().startsWith("CLIENT"), table.out());
    assertTrue(table.out().contains("shop-1") && table.out().contains("yes"), table.out());

    Run json = run("clients", "--server", server, "--json", "list");
    assertEquals(0, json.code(), json.err());
    assertEquals("shop-1", new JsonArray(json.out()).getJsonObject(0).getString("clientId"));

    Run show = run("clients", "show", "shop-1", "--json", "--server", server);
    assertEquals(true, new JsonObject(show.out()).getBoolean("connected"));
  }

  @Test
  void download_follows_the_pull_then_fetches_and_checks_the_file() throws Exception {
    Path file = fx.randomFile("file_to_download.txt", 5L * Fixture.CHUNK + 3);
    fx.agent("shop-1", file);
    Path saved = dir.resolve("copy.txt");

    Run r = run("download", "shop-1", "--output", saved.toString(), "--server", server);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(Fixture.sha256(file)), r.out());
    assertTrue(r.out().contains("completed"), r.out());
    assertTrue(r.err().contains("completed 100.0%"), "progress goes to stderr: " + r.err());
    assertTrue(r.err().contains("checked"), r.err());
    assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(saved));

    Run json = run("download", "shop-1", "--json", "--server", server);
    assertEquals(0, json.code(), json.err());
    JsonObject job = new JsonObject(json.out());
    assertEquals("completed", job.getString("status"), "stdout is clean JSON for pipes");

    Run fetched = run("downloads", "fetch", job.getString("requestId"), "-o", dir.resolve("again").toString(), "--server", server);
    assertEquals(0, fetched.code(), fetched.err());
    assertEquals(Fixture.sha256(file), fetched.out().trim());

    Run link = run("downloads", "link", job.getString("requestId"), "--server", server);
    assertTrue(link.out().trim().startsWith(server + "/api/v1/downloads/" + job.getString("requestId") + "/content?expires="), link.out());

    Run list = run("downloads", "list", "--client", "shop-1", "--status", "completed", "--json", "--server", server);
    assertEquals(2, new JsonArray(list.out()).size(), list.out());
  }

  @Test
  void cancel_and_retry_make_a_new_job_that_a_follow_sees_complete() throws Exception {
    fx.agent("slow-1", fx.randomFile("big.bin", 150L * Fixture.CHUNK), c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    Run started = run("download", "slow-1", "--no-wait", "--json", "--server", server);
    assertEquals(0, started.code(), started.err());
    String id = new JsonObject(started.out()).getString("requestId");

    Run cancelled = run("downloads", "cancel", id, "--json", "--server", server);
    assertEquals(0, cancelled.code(), cancelled.err());
    assertEquals("cancelled", new JsonObject(cancelled.out()).getString("status"));
    Run status = run("downloads", "status", id, "--server", server);
    assertEquals(1, status.code(), "a cancelled pull exits 1");

    Run retried = run("downloads", "retry", id, "--json", "--server", server);
    assertEquals(0, retried.code(), retried.err());
    String retry = new JsonObject(retried.out()).getString("requestId");
    assertNotEquals(id, retry);
    Run followed = run("downloads", "status", retry, "--follow", "--json", "--server", server);
    assertEquals(0, followed.code(), followed.err());
    assertEquals("completed", new JsonObject(followed.out()).getString("status"));

    Run again = run("downloads", "cancel", retry, "--server", server);
    assertEquals(5, again.code());
    assertTrue(again.err().contains("DOWNLOAD_NOT_ACTIVE"), again.err());
  }

  @Test
  void pause_and_resume_show_the_reason_and_a_follow_waits_through_the_pause() throws Exception {
    Path file = fx.randomFile("big.bin", 200L * Fixture.CHUNK);
    fx.agent("slow-1", file, c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    String id = new JsonObject(run("download", "slow-1", "--no-wait", "--json", "--server", server).out()).getString("requestId");

    Run paused = run("downloads", "pause", id, "--server", server);
    assertEquals(0, paused.code(), paused.err());
    assertTrue(paused.out().contains("paused (OPERATOR)") && paused.out().contains("pausedUntil"), paused.out());
    Run list = run("downloads", "list", "--status", "paused", "--server", server);
    assertTrue(list.out().contains(id) && list.out().contains("paused (OPERATOR)"), list.out());
    assertEquals(0, run("downloads", "status", id, "--server", server).code(), "a paused pull has not failed");

    // A follow that starts while the job is paused waits through the pause: it has drawn the paused state once
    // its stderr shows it, and ends only with the resumed pull.
    StringWriter progress = new StringWriter();
    CompletableFuture<Run> follow = CompletableFuture.supplyAsync(() ->
      run(progress, "downloads", "status", id, "--follow", "--json", "--server", server));
    long deadline = System.currentTimeMillis() + 10_000;
    while (!progress.toString().contains("paused (OPERATOR)")) {
      assertTrue(System.currentTimeMillis() < deadline && !follow.isDone(), "follow: " + progress);
      Thread.sleep(20);
    }
    Run resumed = run("downloads", "resume", id, "--json", "--server", server);
    assertEquals(0, resumed.code(), resumed.err());
    assertEquals("in_progress", new JsonObject(resumed.out()).getString("status"), resumed.out());
    Run followed = follow.get(30, TimeUnit.SECONDS);
    assertEquals(0, followed.code(), followed.err());
    JsonObject done = new JsonObject(followed.out());
    assertEquals("completed", done.getString("status"));
    assertEquals(Fixture.sha256(file), done.getJsonObject("file").getString("sha256"));
    assertEquals(1, done.getInteger("resumes"));

    Run notPaused = run("downloads", "resume", id, "--server", server);
    assertEquals(5, notPaused.code());
    assertTrue(notPaused.err().startsWith("error: DOWNLOAD_NOT_PAUSED"), notPaused.err());
    Run ended = run("downloads", "pause", id, "--server", server);
    assertEquals(5, ended.code());
    assertTrue(ended.err().startsWith("error: DOWNLOAD_NOT_ACTIVE"), ended.err());
    assertEquals(4, run("downloads", "pause", "00000000-0000-4000-8000-000000000000", "--server", server).code());
  }

  @Test
  void pause_and_resume_document_their_exit_codes() {
    for (String command : new String[] {"pause", "resume"}) {
      Run help = run("downloads", command, "--help");
      assertEquals(0, help.code());
      assertTrue(help.out().contains("Exit codes: 0 ") && help.out().contains("5 the job"), help.out());
    }
    assertTrue(run("downloads", "--help").out().contains("downloads pause"), "the examples show pause");
  }

  @Test
  void a_server_with_API_TOKEN_needs_the_token() {
    fx.server.stop().await();
    fx.with(c -> c.setApiToken("t0ken-of-sixteen-chars")).start();
    server = "http://127.0.0.1:" + fx.server.apiPort();
    Run refused = run("clients", "list", "--server", server, "--token", "wrong");
    assertEquals(6, refused.code());
    assertTrue(refused.err().contains("UNAUTHORIZED"), refused.err());
    Run allowed = run("clients", "list", "--token", "t0ken-of-sixteen-chars", "--server", server);
    assertEquals(0, allowed.code(), allowed.err());
  }

  @Test
  void an_admin_makes_lists_and_revokes_tokens_and_a_viewer_is_refused_a_pull() throws Exception {
    fx.agent("shop-1", fx.randomFile("f", 10));
    Run made = run("tokens", "create", "--role", "viewer", "--name", "dashboard", "--server", server);
    assertEquals(0, made.code(), made.err());
    String viewer = made.out().trim();
    assertTrue(viewer.startsWith("smt_") && made.err().contains("not shown again"), made.out() + made.err());
    Run me = run("tokens", "whoami", "--server", server, "--token", viewer);
    assertEquals(viewer.substring(4, 20) + " dashboard viewer", me.out().trim());
    Run refused = run("download", "shop-1", "--output", dir.resolve("x").toString(), "--server", server, "--token", viewer);
    assertEquals(6, refused.code());
    assertTrue(refused.err().contains("FORBIDDEN") && refused.err().contains("needs role operator"), refused.err());
    Path tokenFile = Files.writeString(dir.resolve("viewer.token"), viewer + "\n");
    assertEquals(0, run("clients", "list", "--server", server, "--token-file", tokenFile.toString()).code());

    Run listed = run("tokens", "list", "--json", "--server", server);
    JsonArray tokens = new JsonArray(listed.out());
    assertEquals(2, tokens.size());
    assertTrue(!listed.out().contains(viewer.substring(21)), "never a secret");
    Run revoked = run("tokens", "revoke", viewer.substring(4, 20), "--server", server);
    assertEquals(0, revoked.code(), revoked.err());
    assertTrue(revoked.out().contains("Revoked " + viewer.substring(4, 20)), revoked.out());
    assertEquals(6, run("clients", "list", "--server", server, "--token", viewer).code());
    assertEquals(4, run("tokens", "revoke", viewer.substring(4, 20), "--server", server).code());
  }

  @Test
  void errors_are_one_line_with_documented_exit_codes() {
    Run unknown = run("clients", "show", "nobody", "--server", server);
    assertEquals(4, unknown.code());
    assertTrue(unknown.err().startsWith("error: CLIENT_NOT_FOUND"), unknown.err());
    assertEquals(4, run("download", "nobody", "--server", server).code());

    Run unreachable = run("clients", "list", "--server", "http://127.0.0.1:1");
    assertEquals(3, unreachable.code());
    assertTrue(unreachable.err().contains("cannot reach the server at http://127.0.0.1:1"), unreachable.err());
    assertTrue(!unreachable.err().contains("Exception"), "no stack trace: " + unreachable.err());

    assertEquals(2, run("downloads", "status").code(), "usage error");
    Run help = run("download", "--help");
    assertTrue(help.out().contains("Examples:") && help.out().contains("Exit codes:"), help.out());
    Run completion = run("generate-completion");
    assertEquals(0, completion.code());
    assertTrue(completion.out().contains("silentmode") && completion.out().contains("downloads"), "completion from the command model");
  }
}
