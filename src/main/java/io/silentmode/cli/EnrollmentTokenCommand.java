package io.silentmode.cli;

import io.silentmode.server.enrollment.EnrollmentToken;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code silentmode server enrollment-token}: the token new agents enroll with, read from DATA_DIR on the server's
 * machine (no API token needed: whoever can read DATA_DIR can read it anyway). A running server takes a rotation
 * within a second: it reads the file again every second.
 */
@Command(name = "enrollment-token", mixinStandardHelpOptions = true,
  description = "Print the enrollment token agents enroll with (made in DATA_DIR on the server's first start).",
  footer = {"", "Examples:", "  silentmode server enrollment-token --data-dir /var/lib/silentmode/data",
    "  silentmode server enrollment-token --rotate   (agents enrolled already keep working)"})
public class EnrollmentTokenCommand implements Callable<Integer> {

  @Option(names = "--data-dir", defaultValue = "${env:DATA_DIR:-./data}", description = "The server's DATA_DIR (default ${DEFAULT-VALUE}).")
  String dataDir;

  @Option(names = "--rotate", description = "Replace the token with a new one first; the old one enrolls nobody from then on.")
  boolean rotate;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    EnrollmentToken token = new EnrollmentToken(Path.of(dataDir));
    spec.commandLine().getOut().println(rotate ? token.rotate() : token.current());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
