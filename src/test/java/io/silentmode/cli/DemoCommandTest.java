package io.silentmode.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The README's first command: a real pull through a real server and agent, then a clean exit. */
class DemoCommandTest {

  /** Before, the shutdown waited on a future whose result went to an event loop vertx.close() had ended: it hung. */
  @Test
  void demo_pulls_a_file_and_returns() {
    int code = assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
      io.silentmode.Main.commandLine().setErr(new PrintWriter(new StringWriter()))
        .execute("demo", "--size-mib", "4", "--cleanup"));
    assertEquals(0, code);
  }
}
