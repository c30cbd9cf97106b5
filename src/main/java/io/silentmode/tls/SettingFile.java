package io.silentmode.tls;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a file a setting names (TLS_CERT, SERVER_CA, ...), failing with a message that says which and why. */
public final class SettingFile {

  private SettingFile() {
  }

  /** The file's bytes; an {@link IllegalArgumentException} naming {@code setting} when it cannot be read. Blocking. */
  public static byte[] read(String setting, Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(setting + " " + file + " cannot be read: no such file", e);
    } catch (AccessDeniedException e) {
      throw new IllegalArgumentException(setting + " " + file + " cannot be read: permission denied", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(setting + " " + file + " cannot be read: " + e.getMessage(), e);
    }
  }
}
