package io.silentmode.server.storage;

import com.sun.nio.file.ExtendedOpenOption;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The temp file a pull's chunks are written into, at their offsets.
 * <p>
 * It is opened with O_DIRECT where the file system allows it and CHUNK_SIZE is a multiple of its block size (at
 * least 4 KiB, the page size some file systems align to whatever block size they report). Every byte has to be on
 * disk before the rename anyway; going straight there saves the copy into the page cache (after hashing, the
 * costliest step of the chunk path) and leaves the final fsync almost nothing to flush. Elsewhere (a file system
 * that refuses O_DIRECT, at open or at the first write, or an odd chunk size) it writes through the page cache.
 * Thread-safe: the disk writer's chunk checks write concurrently, one at a time to a file (they would queue for its
 * inode lock anyway), and a write after {@link #close} fails without touching the disk.
 */
final class TempFile implements AutoCloseable {

  private static final System.Logger log = System.getLogger(TempFile.class.getName());
  private static final int MIN_ALIGNMENT = 4096;

  private final Path path;
  private final int chunkSize;
  /** What the buffers chunks are written from are aligned to: O_DIRECT's block at least. */
  private final int alignment;
  private FileChannel channel;
  /** The alignment O_DIRECT writes need while the file is open with it, else 0. */
  private int block;
  private boolean closed;

  private TempFile(Path path, FileChannel channel, int chunkSize, int block) {
    this.path = path;
    this.channel = channel;
    this.chunkSize = chunkSize;
    this.block = block;
    this.alignment = Math.max(MIN_ALIGNMENT, block);
  }

  /** A new temp file; FileAlreadyExistsException if there is one. */
  static TempFile create(Path temp, int chunkSize) throws IOException {
    return open(temp, chunkSize, true);
  }

  /** The existing temp file of a pull that resumes, to write its missing chunks into. */
  static TempFile reopen(Path temp, int chunkSize) throws IOException {
    return open(temp, chunkSize, false);
  }

  private static TempFile open(Path temp, int chunkSize, boolean create) throws IOException {
    OpenOption how = create ? StandardOpenOption.CREATE_NEW : StandardOpenOption.WRITE;
    long block = Math.max(MIN_ALIGNMENT, Files.getFileStore(temp.getParent()).getBlockSize());
    if (chunkSize % block == 0) {
      try {
        return new TempFile(temp, FileChannel.open(temp, how, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT),
          chunkSize, (int) block);
      } catch (FileAlreadyExistsException | NoSuchFileException e) {
        throw e;
      } catch (IOException | UnsupportedOperationException e) {
        // Opened, then refused O_DIRECT (older tmpfs says EINVAL): fall back to the page cache.
        if (create) {
          Files.deleteIfExists(temp);
        }
        log.log(System.Logger.Level.DEBUG, "No O_DIRECT for " + temp + ": " + e);
      }
    }
    return new TempFile(temp, FileChannel.open(temp, how, StandardOpenOption.WRITE), chunkSize, 0);
  }

  synchronized boolean direct() {
    return block > 0;
  }

  /**
   * Writes chunk {@code index}, given as consecutive pieces, gathered into {@code scratch} first: one copy and one
   * write a chunk, where writing the pieces, which live on the heap, would have the JDK copy each into a temporary
   * direct buffer of its own. With O_DIRECT the last chunk is padded to a whole block, cut off by {@link #finish}.
   */
  void write(int index, ByteBuffer[] payload, Scratch scratch) throws IOException {
    ByteBuffer gathered = scratch.get(chunkSize, alignment);
    for (ByteBuffer piece : payload) {
      gathered.put(piece);
    }
    int length = gathered.position();
    writeGathered(gathered.flip(), length, (long) index * chunkSize);
  }

  private synchronized void writeGathered(ByteBuffer gathered, int length, long position) throws IOException {
    if (closed) {
      throw new ClosedChannelException(); // before the O_DIRECT fallback below could open the file again
    }
    if (!direct()) {
      writeFully(gathered, position);
      return;
    }
    try {
      writeFully(gathered.limit((length + block - 1) / block * block), position);
    } catch (IOException e) {
      // Accepted at open, refused at write: some file systems align O_DIRECT to more than they report.
      log.log(System.Logger.Level.WARNING, "O_DIRECT write to " + path + " failed (" + e + "); using the page cache");
      channel.close();
      channel = FileChannel.open(path, StandardOpenOption.WRITE);
      block = 0;
      writeFully(gathered.position(0).limit(length), position);
    }
  }

  private void writeFully(ByteBuffer source, long position) throws IOException {
    writeFully(channel, source, position);
  }

  /** Writes all of {@code source} at {@code position}: a positional write may take only part of it. */
  static void writeFully(FileChannel channel, ByteBuffer source, long position) throws IOException {
    while (source.hasRemaining()) {
      position += channel.write(source, position);
    }
  }

  /** Gives the file its exact size (an O_DIRECT file may end in padding) and forces it, data and metadata, to disk. */
  synchronized void finish(long size) throws IOException {
    closed = true; // to writes: nothing may land beyond the size, or after the fsync
    channel.truncate(size);
    channel.force(true);
  }

  @Override
  public synchronized void close() throws IOException {
    closed = true;
    channel.close();
  }

  /**
   * A native buffer, block-aligned for O_DIRECT, that chunks are gathered in on their way to disk; one thread uses
   * it at a time, for any file.
   */
  static final class Scratch {
    private ByteBuffer buffer;

    ByteBuffer get(int capacity, int alignment) {
      if (buffer == null || buffer.capacity() < capacity || buffer.alignmentOffset(0, alignment) != 0) {
        int whole = (capacity + alignment - 1) / alignment * alignment; // alignedSlice also cuts the end to a block
        buffer = ByteBuffer.allocateDirect(whole + alignment).alignedSlice(alignment);
      }
      return buffer.clear();
    }
  }
}
