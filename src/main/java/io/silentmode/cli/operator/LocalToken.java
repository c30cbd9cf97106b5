package io.silentmode.cli.operator;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which token an operator command sends: {@code --token}, else {@code --token-file}, else, for a server on this
 * machine only, the admin token a first start wrote to {@code $DATA_DIR/admin.token}: the one-machine quick start
 * needs no copying, and a token of this machine never goes to a server elsewhere.
 */
final class LocalToken {

  private LocalToken() {
  }

  static String choose(String token, Path tokenFile, String server) {
    if (token != null && !token.isBlank()) {
      return token.trim();
    }
    if (tokenFile != null) {
      try {
        return Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
      } catch (IOException e) {
        throw new CliException(ExitCode.USAGE, "cannot read --token-file " + tokenFile + ": " + e.getMessage());
      }
    }
    if (!loopback(server)) {
      return null;
    }
    String dataDir = System.getenv("DATA_DIR");
    Path local = Path.of(dataDir == null || dataDir.isBlank() ? "./data" : dataDir).resolve("admin.token");
    try {
      return Files.isReadable(local) ? Files.readString(local, StandardCharsets.UTF_8).trim() : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean loopback(String server) {
    try {
      String host = URI.create(server).getHost();
      if (host == null) {
        return false;
      }
      if ("localhost".equalsIgnoreCase(host)) {
        return true;
      }
      // only literal addresses: a name is not resolved for this
      return host.matches("[0-9.]+|\\[[0-9a-fA-F:.]+]") && InetAddress.getByName(host).isLoopbackAddress();
    } catch (IllegalArgumentException | IOException e) {
      return false;
    }
  }
}
