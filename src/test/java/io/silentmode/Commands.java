package io.silentmode;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.stream.Stream;

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

  /** {@code args} and {@code --token token}, unless they name a token themselves or there is none. */
  static String[] withToken(String token, String... args) {
    boolean named = Arrays.stream(args).anyMatch(a -> a.startsWith("--token"));
    return named || token == null ? args : Stream.concat(Arrays.stream(args), Stream.of("--token", token)).toArray(String[]::new);
  }
}
