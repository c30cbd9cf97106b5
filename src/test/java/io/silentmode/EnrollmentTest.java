package io.silentmode;

import io.silentmode.Commands.Run;
import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.server.Addresses;
import io.silentmode.server.enrollment.EnrollmentToken;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator's story of enrollment: the token, an agent that enrolls once and proves its key after, revocation. */
@ExtendWith(VertxExtension.class)
class EnrollmentTest {

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
  void the_server_makes_a_token_of_mode_600_that_the_cli_and_the_api_show_and_rotate() throws Exception {
    Path file = Path.of(fx.config.dataDir()).resolve(EnrollmentToken.FILE);
    String first = Files.readString(file).trim();
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

    assertEquals(first, run("server", "enrollment-token", "--data-dir", fx.config.dataDir()).out().trim());
    Api api = fx.api();
    assertEquals(first, api.get("getEnrollmentToken", "/api/v1/enrollment/token", 200).getString("token"));
    String second = api.post("rotateEnrollmentToken", "/api/v1/enrollment/token/rotate", null, 200).getString("token");
    assertNotEquals(first, second);
    assertEquals(second, run("clients", "enrollment-token", "--server", server).out().trim());
    String third = run("server", "enrollment-token", "--rotate", "--data-dir", fx.config.dataDir()).out().trim();
    assertNotEquals(second, third);
    assertEquals(third, api.get("getEnrollmentToken", "/api/v1/enrollment/token", 200).getString("token"),
      "a running server reads the file it was rotated in");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void an_agent_enrolls_once_keeps_its_key_in_a_state_file_of_mode_600_and_proves_it_after_a_restart() throws Exception {
    Path served = fx.randomFile("f", 1000);
    AgentVerticle first = fx.agent("e-1", served);
    Path state = fx.stateFile("e-1");
    JsonObject kept = awaitEnrolled(state);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state.getParent())),
      "the directory made for it");
    assertEquals("e-1", kept.getString("clientId"));
    assertEquals(kept.getString("publicKey"), registered("e-1").getJsonObject("enrollment").getString("publicKey"));

    fx.vertx.undeploy(first.deploymentID()).await();
    run("clients", "enrollment-token", "--rotate", "--server", server); // the token it enrolled with is void now
    fx.expectReconnect("e-1");
    fx.vertx.deployVerticle(new AgentVerticle(fx.agentConfig("e-1", served, fx.wsUrl()))).await();
    fx.awaitConnected("e-1");
    assertEquals("completed", fx.pull("e-1").getString("status"), "it proved the key in its state file");

    Run revoke = run("clients", "revoke", "e-1", "--server", server);
    assertEquals(0, revoke.code(), revoke.err());
    Run revoked = run("clients", "list", "--enrollment", "revoked", "--json", "--server", server);
    JsonArray items = new JsonArray(revoked.out());
    assertEquals("e-1", items.getJsonObject(0).getString("clientId"), revoked.out());
    assertEquals(false, items.getJsonObject(0).getBoolean("connected"), revoked.out());
    assertTrue(run("clients", "list", "--server", server).out().contains("revoked"));
  }

  /** The same story with the real binary: the restarted process is given no token and proves the key in its file. */
  @Test
  void an_agent_process_restarted_without_the_token_proves_the_key_in_its_state_file() throws Exception {
    Path served = fx.randomFile("p.bin", 1000);
    Path state = dir.resolve("p-1.state.json");
    Process first = agentProcess(served, state, "--enrollment-token", fx.enrollmentToken());
    String key;
    try {
      fx.awaitConnected("p-1");
      key = awaitEnrolled(state).getString("publicKey");
    } finally {
      first.destroy();
      first.waitFor(30, TimeUnit.SECONDS);
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state)));
    fx.expectReconnect("p-1");
    Process second = agentProcess(served, state);
    try {
      fx.awaitConnected("p-1");
      assertEquals(key, registered("p-1").getJsonObject("enrollment").getString("publicKey"));
      assertEquals("completed", fx.pull("p-1").getString("status"));
    } finally {
      second.destroy();
      second.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private Process agentProcess(Path served, Path state, String... more) throws Exception {
    List<String> command = new ArrayList<>(List.of(
      Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
      "-cp", System.getProperty("java.class.path"), "io.silentmode.Main", "agent", "--id", "p-1", "--server", fx.wsUrl(),
      "--file", served.toString(), "--state-file", state.toString(), "--reconnect-interval", "50", "--allow-root"));
    command.addAll(List.of(more));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().remove("ENROLLMENT_TOKEN");
    builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.log").toFile()));
    return builder.start();
  }

  /**
   * An agent that never learnt it was enrolled (its REGISTER_ACK lost) enrolls the same key again; after a rotation
   * its old token is void, but the key it shows is the one enrolled, and its proof is enough.
   */
  @Test
  void an_agent_enrolling_its_enrolled_key_again_with_a_rotated_token_is_taken() throws Exception {
    Path served = fx.randomFile("f", 10);
    String oldToken = fx.enrollmentToken();
    AgentVerticle first = fx.agent("e-5", served);
    Path state = fx.stateFile("e-5");
    JsonObject kept = awaitEnrolled(state);
    fx.vertx.undeploy(first.deploymentID()).await();
    Files.writeString(state, kept.put("enrolled", false).encode()); // as if the REGISTER_ACK had been lost
    run("server", "enrollment-token", "--rotate", "--data-dir", fx.config.dataDir());

    fx.expectReconnect("e-5");
    fx.vertx.deployVerticle(new AgentVerticle(new AgentConfig("e-5", fx.wsUrl(), served.toString(), 50, 0, 0)
      .enrolling(state.toString(), oldToken))).await();
    fx.awaitConnected("e-5");

    assertTrue(awaitEnrolled(state).getBoolean("enrolled"));
    assertEquals(kept.getString("publicKey"), registered("e-5").getJsonObject("enrollment").getString("publicKey"));
  }

  @Test
  void an_agent_whose_state_file_belongs_to_another_id_does_not_start_and_says_why() throws Exception {
    Path served = fx.randomFile("f", 10);
    fx.agent("e-2", served);
    awaitEnrolled(fx.stateFile("e-2"));
    AgentConfig other = new AgentConfig("e-3", fx.wsUrl(), served.toString(), 50, 0, 0)
      .enrolling(fx.stateFile("e-2").toString(), fx.enrollmentToken());

    Throwable refused = assertThrows(Exception.class, () -> fx.vertx.deployVerticle(new AgentVerticle(other)).await());

    assertTrue(refused.getMessage().contains("belongs to agent e-2, not e-3"), refused.getMessage());
  }

  @Test
  void an_agent_without_a_token_on_a_server_that_wants_one_gives_up_with_what_to_do() throws Exception {
    AgentVerticle agent = new AgentVerticle(new AgentConfig("e-4", fx.wsUrl(), fx.randomFile("f", 10).toString(), 50, 0, 0));
    fx.vertx.deployVerticle(agent).await();

    Throwable gaveUp = assertThrows(RuntimeException.class, () -> agent.gaveUp().timeout(10, TimeUnit.SECONDS).await());

    assertTrue(gaveUp.getMessage().contains("AGENT_NOT_ENROLLED"), gaveUp.getMessage());
    assertTrue(gaveUp.getMessage().contains("--enrollment-token"), gaveUp.getMessage());
  }

  private JsonObject registered(String clientId) {
    return fx.request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", clientId));
  }

  /** The state file once the agent has noted the server took its key (after REGISTER_ACK, on a worker). */
  private static JsonObject awaitEnrolled(Path state) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      if (Files.exists(state)) {
        JsonObject kept = new JsonObject(Files.readString(state));
        if (kept.getBoolean("enrolled", false)) {
          return kept;
        }
      }
      assertTrue(System.currentTimeMillis() < deadline, "the agent did not note its enrollment in " + state);
      Thread.sleep(20);
    }
  }

  /** A command; one that calls a server's API goes with the admin token, as an operator's would. */
  private Run run(String... args) {
    return Commands.run(List.of(args).contains("--server") ? Commands.withToken(fx.adminToken, args) : args);
  }

}
