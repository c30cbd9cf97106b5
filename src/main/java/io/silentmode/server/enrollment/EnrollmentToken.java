package io.silentmode.server.enrollment;

import io.silentmode.server.store.Secrets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;

/**
 * The enrollment token, {@code DATA_DIR/enrollment-token} (mode 600): what a new agent shows once to enroll its key.
 * The file is the one source: a running server reads it again every second, so {@code silentmode server
 * enrollment-token --rotate} takes effect on it as the API's rotation does. Blocking file I/O.
 */
public final class EnrollmentToken {

  public static final String FILE = "enrollment-token";

  private final Path dataDir;

  public EnrollmentToken(Path dataDir) {
    this.dataDir = dataDir;
  }

  /** The token, made on first use. */
  public String current() throws IOException {
    return Secrets.loadOrCreate(dataDir, FILE, "");
  }

  /** A new token replaces the old one at once: agents not yet enrolled need the new one; enrolled ones never do. */
  public String rotate() throws IOException {
    Files.createDirectories(dataDir);
    Path temp = Files.createTempFile(dataDir, FILE, ".tmp",
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      String token = Secrets.random("");
      Files.writeString(temp, token + "\n", StandardCharsets.UTF_8);
      Files.move(temp, dataDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return token;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Whether {@code presented} is {@code token}, compared in constant time. */
  public static boolean same(String token, String presented) {
    return token != null && presented != null && MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
      presented.getBytes(StandardCharsets.UTF_8));
  }
}
