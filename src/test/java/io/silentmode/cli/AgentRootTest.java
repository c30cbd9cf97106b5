package io.silentmode.cli;

import io.silentmode.Main;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** An agent needs only to read its file: it refuses to run as root unless told to. */
class AgentRootTest {

  @Test
  void as_root_the_agent_refuses_to_start_without_allow_root_and_says_why() {
    assumeTrue(AgentCommand.runsAsRoot(), "only root can see the refusal");
    StringWriter err = new StringWriter();
    picocli.CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err));

    int code = cli.execute("agent", "--id", "root-shop", "--server", "ws://127.0.0.1:1", "--max-reconnect-attempts", "1");

    assertEquals(2, code, err::toString);
    assertTrue(err.toString().contains("refusing to run as root"), err::toString);
    assertTrue(err.toString().contains("--allow-root (AGENT_ALLOW_ROOT=true)"), err::toString);
  }

  @Test
  void root_is_seen_as_the_operating_system_reports_it() {
    assertEquals("root".equals(System.getProperty("user.name")), AgentCommand.runsAsRoot());
  }
}
