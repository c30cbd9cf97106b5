package io.silentmode.agent;

import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.silentmode.protocol.Sha256;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.UUID;

/**
 * The file an agent serves for one pull, open for positional reads. Every method blocks: call it off the event loop.
 */
final class ServedFile implements AutoCloseable {

  private static final int HASH_BUFFER = 1024 * 1024;

  final UUID requestId;
  final String fileName;
  final long size;
  final int chunkSize;
  final int totalChunks;
  private final FileChannel channel;
  /** Set on the event loop when the pull ends, read by queued reads so they skip instead of reading on. */
  private volatile boolean released;

  private ServedFile(UUID requestId, Path path, FileChannel channel, long size, int chunkSize) {
    this.requestId = requestId;
    this.fileName = path.getFileName().toString();
    this.channel = channel;
    this.size = size;
    this.chunkSize = chunkSize;
    this.totalChunks = (int) ((size + chunkSize - 1) / chunkSize);
  }

  /**
   * Opens the configured file for a request. A request naming any other file is refused with PERMISSION_DENIED,
   * compared on canonical paths so that links and {@code ..} cannot reach around the check.
   */
  static ServedFile open(UUID requestId, Path served, String requested, int chunkSize) {
    if (requested != null && !sameFile(served, Path.of(requested))) {
      throw new PullException(ErrorCode.PERMISSION_DENIED, "this agent serves only " + served + ", not " + requested);
    }
    if (!Files.exists(served)) {
      throw new PullException(ErrorCode.FILE_NOT_FOUND, "file " + served + " does not exist on this agent");
    }
    if (Files.isDirectory(served)) {
      throw new PullException(ErrorCode.FILE_READ_ERROR, served + " is a directory, not a file");
    }
    try {
      FileChannel channel = FileChannel.open(served, StandardOpenOption.READ);
      return new ServedFile(requestId, served, channel, channel.size(), chunkSize);
    } catch (AccessDeniedException e) {
      throw new PullException(ErrorCode.PERMISSION_DENIED, "the agent may not read " + served);
    } catch (NoSuchFileException e) {
      throw new PullException(ErrorCode.FILE_NOT_FOUND, "file " + served + " does not exist on this agent");
    } catch (IOException e) {
      throw new PullException(ErrorCode.FILE_READ_ERROR, "cannot open " + served + ": " + e.getMessage());
    }
  }

  private static boolean sameFile(Path served, Path requested) {
    try {
      return served.toRealPath().equals(requested.toRealPath());
    } catch (IOException e) {
      // One of them does not resolve: only the very path configured is still this agent's to answer for.
      return served.toAbsolutePath().normalize().equals(requested.toAbsolutePath().normalize());
    }
  }

  /** The plain SHA-256 of the whole file, as {@code sha256sum} prints it. */
  String sha256() {
    MessageDigest digest = Sha256.digest();
    ByteBuffer buffer = ByteBuffer.allocate(HASH_BUFFER);
    try {
      for (long position = 0; position < size; ) {
        buffer.clear().limit((int) Math.min(HASH_BUFFER, size - position)); // the file may be growing
        int n = channel.read(buffer, position);
        if (n < 0) {
          throw new PullException(ErrorCode.FILE_READ_ERROR, "file shrank while being hashed");
        }
        position += n;
        digest.update(buffer.flip());
      }
    } catch (IOException e) {
      throw new PullException(ErrorCode.FILE_READ_ERROR, "cannot read " + fileName + ": " + e.getMessage());
    }
    return Sha256.hex(digest.digest());
  }

  /** Reads chunk {@code index} straight into a frame's payload and fills in its header. */
  byte[] frame(int index) {
    if (index < 0 || index >= totalChunks) {
      throw new PullException(ErrorCode.PROTOCOL_ERROR, "chunk " + index + " is outside 0.." + (totalChunks - 1));
    }
    long position = (long) index * chunkSize;
    int length = (int) Math.min(chunkSize, size - position);
    byte[] frame = new byte[ChunkFrame.HEADER_SIZE + length];
    ByteBuffer payload = ByteBuffer.wrap(frame, ChunkFrame.HEADER_SIZE, length);
    try {
      while (payload.hasRemaining()) {
        if (channel.read(payload, position + payload.position() - ChunkFrame.HEADER_SIZE) < 0) {
          throw new PullException(ErrorCode.FILE_READ_ERROR, "file shrank while being served");
        }
      }
    } catch (IOException e) {
      throw new PullException(ErrorCode.FILE_READ_ERROR, "cannot read chunk " + index + ": " + e.getMessage());
    }
    MessageDigest digest = Sha256.digest();
    digest.update(frame, ChunkFrame.HEADER_SIZE, length);
    ChunkFrame.writeHeader(frame, requestId, index, length, digest.digest());
    return frame;
  }

  void release() {
    released = true;
  }

  boolean released() {
    return released;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing a read-only channel loses nothing
    }
  }
}
