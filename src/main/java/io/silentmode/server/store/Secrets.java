package io.silentmode.server.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Keys the server needs but the operator did not set: generated once, kept under DATA_DIR (mode 600) so links
 * and webhook signatures stay valid across restarts.
 */
public final class Secrets {

  private static final System.Logger log = System.getLogger(Secrets.class.getName());

  private Secrets() {
  }

  /** {@code prefix} and a new random 32-byte key in base64. */
  public static String random(String prefix) {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return prefix + Base64.getEncoder().encodeToString(key);
  }

  /** The file's content, or a new random 32-byte key written to it with {@code prefix}. Blocking. */
  public static String loadOrCreate(Path dataDir, String fileName, String prefix) throws IOException {
    Path file = dataDir.resolve(fileName);
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    Files.createDirectories(dataDir);
    String secret = random(prefix);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    } catch (FileAlreadyExistsException e) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
    log.log(System.Logger.Level.INFO, "Generated " + file + " (set it yourself to choose the key)");
    return secret;
  }
}
