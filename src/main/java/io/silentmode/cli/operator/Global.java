package io.silentmode.cli.operator;

import io.silentmode.cli.ServerTrustOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;

/** Options of every operator command, accepted before or after the subcommand ({@code clients list --json}). */
public final class Global {

  @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "URL",
    defaultValue = "${env:SILENTMODE_URL:-http://127.0.0.1:3000}",
    description = "The silentmode server's API (SILENTMODE_URL, default ${DEFAULT-VALUE}).")
  String server;

  @Option(names = "--token", scope = ScopeType.INHERIT, defaultValue = "${env:SILENTMODE_TOKEN}",
    description = "An API token (silentmode tokens create) or the server's API_TOKEN (SILENTMODE_TOKEN). Without it, "
      + "--token-file; without that, a server on this machine is called with the admin token its first start wrote "
      + "to $DATA_DIR/admin.token (./data by default), if this user can read it.")
  String token;

  @Option(names = "--token-file", scope = ScopeType.INHERIT, paramLabel = "FILE", defaultValue = "${env:SILENTMODE_TOKEN_FILE}",
    description = "A file holding the token, such as DATA_DIR/admin.token (SILENTMODE_TOKEN_FILE).")
  Path tokenFile;

  @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print machine-readable JSON instead of tables.")
  boolean json;

  /** How an https:// server is verified. */
  @Mixin
  ServerTrustOptions trust;

  ApiClient client() {
    try {
      return new ApiClient(server, LocalToken.choose(token, tokenFile, server), trust.trust(server, "https"));
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, e.getMessage());
    }
  }
}
