package io.silentmode.cli.operator;

import io.silentmode.cli.ServerTrustOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Options of every operator command, accepted before or after the subcommand ({@code clients list --json}). */
public final class Global {

  @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "URL",
    defaultValue = "${env:SILENTMODE_URL:-http://127.0.0.1:3000}",
    description = "The silentmode server's API (SILENTMODE_URL, default ${DEFAULT-VALUE}).")
  String server;

  @Option(names = "--token", scope = ScopeType.INHERIT, defaultValue = "${env:SILENTMODE_TOKEN}",
    description = "The server's API_TOKEN, when it has one (SILENTMODE_TOKEN).")
  String token;

  @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print machine-readable JSON instead of tables.")
  boolean json;

  /** How an https:// server is verified. */
  @Mixin
  ServerTrustOptions trust;

  ApiClient client() {
    try {
      return new ApiClient(server, token, trust.trust(server, "https"));
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, e.getMessage());
    }
  }
}
