package io.silentmode;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs silentmode commands in this JVM through the real command model, capturing what they print. */
final class Commands {

  record Run(int code, String out, String err) {
  }

  private Commands() {
  }

  static Run run(String... args) {
    return run(new StringWriter(), args);
  }

  /** Runs with stderr going to {@code err}, which a test may read while the command runs (StringWriter locks). */
  static Run run(StringWriter err, String... args) {
    StringWriter out = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }
}
