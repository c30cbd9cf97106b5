package io.silentmode.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * One version of a served file: same inode, size, modification and change time means the same bytes, so digests
 * computed for it can be reused. The change time (ctime) is there because nobody can set it: restoring a file's
 * modification time after writing it does not make it look unchanged. A stale match still cannot let wrong bytes
 * through: the server checks every chunk and the whole file against the data it receives, and a chunk sent again
 * is rehashed ({@link AgentVerticle}).
 */
record FileVersion(Object fileKey, long size, FileTime modified, Object changed) {

  static FileVersion of(Path file, long size) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
    return new FileVersion(attributes.fileKey(), size, attributes.lastModifiedTime(), changeTime(file));
  }

  /** ctime where the platform has the "unix" attribute view (Linux, macOS), else null. */
  private static Object changeTime(Path file) throws IOException {
    try {
      return Files.getAttribute(file, "unix:ctime");
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      return null;
    }
  }
}
