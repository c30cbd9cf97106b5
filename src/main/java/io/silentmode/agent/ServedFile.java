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
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.function.BiConsumer;

/**
 * The served file, open at one version for positional reads: by a pull, or to be hashed ahead of one. Every method
 * blocks: call it off the event loop.
 */
final class ServedFile implements AutoCloseable {

  private static final int HASH_BUFFER = 1024 * 1024;
  /** Chunk digests are kept for files of at most this many chunks (8 MiB of them); larger ones hash as they send. */
  static final int MAX_KEPT_CHUNKS = 1 << 18;

  final Path path;
  final String fileName;
  final long size;
  final int chunkSize;
  final int totalChunks;
  private final FileChannel channel;
  private final FileVersion version;
  /** Set on the event loop when the file is let go; queued reads and hashes read it and stop instead of reading on. */
  private volatile boolean released;

  private ServedFile(Path path, FileChannel channel, FileVersion version, int chunkSize) {
    this.path = path;
    this.fileName = path.getFileName().toString();
    this.channel = channel;
    this.version = version;
    this.size = version.size();
    this.chunkSize = chunkSize;
    this.totalChunks = (int) ((size + chunkSize - 1) / chunkSize);
  }

  /**
   * Opens the configured file for a request. A request naming any other file is refused with PERMISSION_DENIED,
   * compared on canonical paths so that links and {@code ..} cannot reach around the check.
   */
  static ServedFile open(Path served, String requested, int chunkSize) {
    if (requested != null && !sameFile(served, requested)) {
      throw new PullException(ErrorCode.PERMISSION_DENIED, "this agent serves only " + served + ", not "
        + (requested.length() > 200 ? requested.substring(0, 200) + "..." : requested));
    }
    if (!Files.exists(served)) {
      throw new PullException(ErrorCode.FILE_NOT_FOUND, "file " + served + " does not exist on this agent");
    }
    if (Files.isDirectory(served)) {
      throw new PullException(ErrorCode.FILE_READ_ERROR, served + " is a directory, not a file");
    }
    try {
      for (int attempt = 1; ; attempt++) {
        // The version is read from the path: it is that of the file opened only if it is the same before and after.
        FileVersion before = FileVersion.of(served, Files.size(served));
        FileChannel channel = FileChannel.open(served, StandardOpenOption.READ);
        try {
          FileVersion opened = FileVersion.of(served, channel.size());
          if (opened.equals(before)) {
            return new ServedFile(served, channel, opened, chunkSize);
          }
        } catch (IOException e) {
          channel.close();
          throw e;
        }
        channel.close();
        if (attempt == 3) {
          throw new PullException(ErrorCode.FILE_READ_ERROR, "file " + served + " kept changing while it was opened");
        }
      }
    } catch (AccessDeniedException e) {
      throw new PullException(ErrorCode.PERMISSION_DENIED, "the agent may not read " + served);
    } catch (NoSuchFileException e) {
      throw new PullException(ErrorCode.FILE_NOT_FOUND, "file " + served + " does not exist on this agent");
    } catch (IOException e) {
      throw new PullException(ErrorCode.FILE_READ_ERROR, "cannot open " + served + ": " + e.getMessage());
    }
  }

  private static boolean sameFile(Path served, String asked) {
    Path requested;
    try {
      requested = Path.of(asked);
    } catch (InvalidPathException e) {
      return false; // a NUL, say: no path at all, so not the served file
    }
    try {
      return served.toRealPath().equals(requested.toRealPath());
    } catch (IOException e) {
      // One of them does not resolve: only the very path configured is still this agent's to answer for.
      return served.toAbsolutePath().normalize().equals(requested.toAbsolutePath().normalize());
    }
  }

  /** What identified the file's version when it was opened: digests computed for an equal version still hold. */
  FileVersion version() {
    return version;
  }

  /** The version the path names now, or null if it names nothing. */
  FileVersion currentVersion() {
    try {
      return FileVersion.of(path, Files.size(path));
    } catch (IOException e) {
      return null;
    }
  }

  boolean keepsChunkDigests() {
    return totalChunks <= MAX_KEPT_CHUNKS;
  }

  /** The plain SHA-256 of the whole file, as {@code sha256sum} prints it. */
  String sha256() {
    MessageDigest digest = Sha256.digest();
    forEachBlock(HASH_BUFFER, (position, block) -> digest.update(block));
    return Sha256.hex(digest.digest());
  }

  /** The SHA-256 of every chunk, 32 bytes each, in index order; for {@link #keepsChunkDigests} files only. */
  byte[] chunkSha256s() {
    byte[] hashes = new byte[totalChunks * ChunkFrame.SHA_SIZE];
    MessageDigest digest = Sha256.digest();
    forEachBlock(chunkSize, (position, chunk) -> {
      digest.update(chunk);
      try {
        digest.digest(hashes, (int) (position / chunkSize) * ChunkFrame.SHA_SIZE, ChunkFrame.SHA_SIZE);
      } catch (DigestException e) {
        throw new IllegalStateException(e);
      }
    });
    return hashes;
  }

  /** Reads the file front to back in blocks of {@code blockSize}, the last one shorter, until it is released. */
  private void forEachBlock(int blockSize, BiConsumer<Long, ByteBuffer> action) {
    ByteBuffer buffer = ByteBuffer.allocate(blockSize);
    try {
      for (long position = 0; position < size; ) {
        if (released) {
          throw new CancellationException("hashing " + fileName + " was given up");
        }
        buffer.clear().limit((int) Math.min(blockSize, size - position)); // the file may be growing
        readFully(buffer, position);
        action.accept(position, buffer.flip());
        position += buffer.limit();
      }
    } catch (IOException e) {
      throw new PullException(ErrorCode.FILE_READ_ERROR, "cannot read " + fileName + ": " + e.getMessage());
    }
  }

  /** The size of chunk {@code index}'s frame: header and payload. */
  int frameLength(int index) {
    if (index < 0 || index >= totalChunks) {
      throw new PullException(ErrorCode.PROTOCOL_ERROR, "chunk " + index + " is outside 0.." + (totalChunks - 1));
    }
    return ChunkFrame.HEADER_SIZE + (int) Math.min(chunkSize, size - (long) index * chunkSize);
  }

  /**
   * Reads chunk {@code index} of pull {@code requestId} into {@code frame}, a buffer of exactly {@link #frameLength}
   * bytes, and fills in its header with {@code kept}, the chunk's digest from before the DOWNLOAD_ACK, or with the
   * hash of the bytes read when none was kept. With {@code recheck} the bytes are hashed anyway, and a mismatch means
   * the file changed after {@code kept} was computed. Leaves the frame's position and limit as they were.
   */
  void readFrame(UUID requestId, int index, ByteBuffer frame, byte[] kept, boolean recheck) {
    int length = frame.capacity() - ChunkFrame.HEADER_SIZE;
    try {
      readFully(frame.duplicate().position(ChunkFrame.HEADER_SIZE), (long) index * chunkSize);
    } catch (IOException e) {
      throw new PullException(ErrorCode.FILE_READ_ERROR, "cannot read chunk " + index + ": " + e.getMessage());
    }
    byte[] sha256 = kept;
    if (kept == null || recheck) {
      MessageDigest digest = Sha256.digest();
      digest.update(frame.duplicate().position(ChunkFrame.HEADER_SIZE));
      sha256 = digest.digest();
      if (kept != null && !MessageDigest.isEqual(sha256, kept)) {
        throw new PullException(ErrorCode.FILE_CHECKSUM_FAILED, "file " + fileName
          + " changed while being served (chunk " + index + " no longer matches); pull it again");
      }
    }
    ChunkFrame.writeHeader(frame, requestId, index, length, sha256);
  }

  int frameSize() {
    return ChunkFrame.HEADER_SIZE + chunkSize;
  }

  private void readFully(ByteBuffer into, long position) throws IOException {
    long start = position - into.position();
    while (into.hasRemaining()) {
      if (channel.read(into, start + into.position()) < 0) {
        throw new PullException(ErrorCode.FILE_READ_ERROR, "file " + fileName + " shrank while being read");
      }
    }
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
