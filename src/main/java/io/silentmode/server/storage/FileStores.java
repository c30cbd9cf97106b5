package io.silentmode.server.storage;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The file system a directory is on, before the directory exists too (DOWNLOAD_DIR is created by the first pull). */
public final class FileStores {

  private FileStores() {
  }

  /** The file store of {@code dir}, or of its nearest existing ancestor; blocks, so call it off the event loop. */
  public static FileStore of(Path dir) throws IOException {
    Path existing = dir.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      throw new NoSuchFileException(dir.toString());
    }
    return Files.getFileStore(existing);
  }
}
