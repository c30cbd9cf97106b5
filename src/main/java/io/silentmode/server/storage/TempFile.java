package io.silentmode.server.storage;

import com.sun.nio.file.ExtendedOpenOption;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The temp file a pull's chunks are written into, at their offsets.
 * <p>
 * It is opened with O_DIRECT where the file system allows it and CHUNK_SIZE is a multiple of its block size. Every
 * byte has to be on disk before the rename anyway; going straight there saves the copy into the page cache (after
 * hashing, the costliest step of the chunk path) and leaves the final fsync almost nothing to flush. Elsewhere
 * (tmpfs, odd chunk sizes) it writes through the page cache. Not thread-safe: the disk writer uses it from its own
 * thread only.
 */
final class TempFile implements AutoCloseable {

  private static final System.Logger log = System.getLogger(TempFile.class.getName());

  private final FileChannel channel;
  private final int chunkSize;
  /** The file system's block size when the file is open with O_DIRECT, else 0. */
  private final int block;
  /** O_DIRECT writes need a block-aligned native buffer; one is enough, writes happen one at a time. */
  private ByteBuffer aligned;

  private TempFile(FileChannel channel, int chunkSize, int block) {
    this.channel = channel;
    this.chunkSize = chunkSize;
    this.block = block;
  }

  static TempFile create(Path temp, int chunkSize) throws IOException {
    long block = Files.getFileStore(temp.getParent()).getBlockSize();
    if (block > 0 && block <= chunkSize && chunkSize % block == 0) {
      try {
        return new TempFile(FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          ExtendedOpenOption.DIRECT), chunkSize, (int) block);
      } catch (FileAlreadyExistsException e) {
        throw e;
      } catch (IOException | UnsupportedOperationException e) {
        // Created, then refused O_DIRECT (tmpfs says EINVAL): fall back to the page cache.
        Files.deleteIfExists(temp);
        log.log(System.Logger.Level.DEBUG, "No O_DIRECT for " + temp + ": " + e);
      }
    }
    return new TempFile(FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), chunkSize, 0);
  }

  boolean direct() {
    return block > 0;
  }

  /**
   * Writes chunk {@code index}, given as consecutive pieces; the last chunk of a direct file is padded to a whole
   * block, cut off by {@link #finish}.
   */
  void write(int index, ByteBuffer[] payload) throws IOException {
    long position = (long) index * chunkSize;
    if (!direct()) {
      for (ByteBuffer piece : payload) {
        position = writeFully(piece, position);
      }
      return;
    }
    if (aligned == null) {
      aligned = ByteBuffer.allocateDirect(chunkSize + block).alignedSlice(block);
    }
    aligned.clear();
    for (ByteBuffer piece : payload) {
      aligned.put(piece);
    }
    int padded = (aligned.position() + block - 1) / block * block;
    writeFully(aligned.flip().limit(padded), position);
  }

  private long writeFully(ByteBuffer source, long position) throws IOException {
    while (source.hasRemaining()) {
      position += channel.write(source, position);
    }
    return position;
  }

  /** Gives the file its exact size and forces it, data and metadata, to disk. */
  void finish(long size) throws IOException {
    if (direct()) {
      channel.truncate(size);
    }
    channel.force(true);
    aligned = null;
  }

  @Override
  public void close() throws IOException {
    aligned = null;
    channel.close();
  }
}
