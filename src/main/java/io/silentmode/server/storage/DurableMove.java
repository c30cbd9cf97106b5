package io.silentmode.server.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The last step of every crash-safe publish (a pulled file, a job record): an atomic rename of a file already
 * fsynced, then an fsync of the directory. A rename lives in the directory's entries, not in the file: until the
 * directory is on disk, a crash can bring back the old name, or none. Blocks: call it off the event loop.
 */
public final class DurableMove {

  private DurableMove() {
  }

  /** Renames {@code source} to {@code target} atomically, with {@code options} (such as REPLACE_EXISTING), durably. */
  public static void move(Path source, Path target, CopyOption... options) throws IOException {
    CopyOption[] atomic = Arrays.copyOf(options, options.length + 1);
    atomic[options.length] = StandardCopyOption.ATOMIC_MOVE;
    Files.move(source, target, atomic);
    try (FileChannel dir = FileChannel.open(target.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }
}
