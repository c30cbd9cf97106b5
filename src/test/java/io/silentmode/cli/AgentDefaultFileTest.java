package io.silentmode.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's default file follows $HOME, as the design says, not the JVM's idea of the user's home. */
class AgentDefaultFileTest {

  @TempDir
  Path home;

  @Test
  void an_agent_started_with_HOME_set_serves_the_file_under_that_HOME() throws Exception {
    // A real agent process: only its environment can show which home it read.
    ProcessBuilder agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-cp", System.getProperty("java.class.path"), "io.silentmode.Main", "agent", "--id", "home-test",
      "--server", "ws://127.0.0.1:1", "--reconnect-interval", "10", "--max-reconnect-attempts", "1");
    agent.environment().put("HOME", home.toString());
    agent.environment().remove("FILE_PATH");
    agent.environment().put("AGENT_ALLOW_ROOT", "true"); // builds often run as root
    String err = run(agent);
    assertTrue(err.contains("serving " + home.resolve("file_to_download.txt") + " to"), err);
  }

  @Test
  void without_HOME_the_default_falls_back_to_the_java_user_home() {
    assertEquals(Path.of("/home/shop/file_to_download.txt").toString(), AgentCommand.defaultFile("/home/shop", "/root"));
    assertEquals(Path.of("/root/file_to_download.txt").toString(), AgentCommand.defaultFile(null, "/root"));
    assertEquals(Path.of("/root/file_to_download.txt").toString(), AgentCommand.defaultFile("", "/root"));
  }

  @Test
  void the_state_file_is_one_per_agent_id_under_HOME() {
    assertEquals(Path.of("/home/shop/.silentmode/shop-1.state.json").toString(),
      AgentCommand.defaultStateFile("/home/shop", "/root", "shop-1"));
    assertEquals(Path.of("/root/.silentmode/shop-1.state.json").toString(), AgentCommand.defaultStateFile(null, "/root", "shop-1"));
  }

  private static String run(ProcessBuilder builder) throws IOException, InterruptedException {
    builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process process = builder.start();
    byte[] err = process.getErrorStream().readAllBytes();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the agent did not give up");
    assertEquals(1, process.exitValue(), "an agent that gives up reconnecting exits 1");
    return new String(err, StandardCharsets.UTF_8);
  }

}
