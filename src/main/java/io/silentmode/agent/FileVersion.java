package io.silentmode.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * One version of a served file: same inode, size and modification time means the same bytes, so digests computed
 * for it can be reused. A stale match cannot let wrong bytes through: the server checks every chunk and the whole
 * file against the data it receives, and a chunk sent again is rehashed ({@link AgentVerticle}).
 */
record FileVersion(Object fileKey, long size, FileTime modified) {

  static FileVersion of(Path file, long size) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
    return new FileVersion(attributes.fileKey(), size, attributes.lastModifiedTime());
  }
}
