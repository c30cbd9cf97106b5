package io.silentmode.server.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The record of which chunks of a part file are written: beside {@code .<partId>.part}, a {@code .<partId>.sums}
 * holding a header (the file version the chunks belong to) and, at {@code HEADER + 32 * index}, the SHA-256 of each
 * chunk once its bytes were written; all zeros where none was.
 * <p>
 * Nothing here is fsynced, and nothing needs to be: a sum is written after its chunk, and a resumed pull trusts
 * neither, but reads every recorded chunk back and hashes it against its sum. A crash that loses a sum costs its
 * chunk; one that loses the chunk's bytes but keeps the sum fails that check and costs the chunk too.
 * Thread-safe: positional writes on one channel.
 */
final class SumsFile implements AutoCloseable {

  static final int SUM_SIZE = 32;
  private static final byte[] MAGIC = "SMSUMS01".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  /** Magic, size (8), chunk size (4), the whole file's SHA-256 (32), padded. */
  private static final int HEADER = 64;

  /** The version of the file the chunks belong to: a sums file of another version is worth nothing. */
  record Version(long size, int chunkSize, String sha256) {
  }

  private final FileChannel channel;

  private SumsFile(FileChannel channel) {
    this.channel = channel;
  }

  /** A new sums file for {@code version}, replacing any. */
  static SumsFile create(Path path, Version version) throws IOException {
    FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
      StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      TempFile.writeFully(channel, ByteBuffer.wrap(header(version)), 0);
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    return new SumsFile(channel);
  }

  /** The existing sums file if it records {@code version}, else null (and nothing is left open). */
  static SumsFile open(Path path, Version version) throws IOException {
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    ByteBuffer header = ByteBuffer.allocate(HEADER);
    while (header.hasRemaining() && channel.read(header, header.position()) > 0) {
      // a short file ends the loop with an incomplete header, which matches no version
    }
    if (!Arrays.equals(header.array(), header(version))) {
      channel.close();
      return null;
    }
    return new SumsFile(channel);
  }

  private static byte[] header(Version version) {
    return ByteBuffer.allocate(HEADER).put(MAGIC).putLong(version.size()).putInt(version.chunkSize())
      .put(HexFormat.of().parseHex(version.sha256())).array();
  }

  /** Records that chunk {@code index}, whose SHA-256 is {@code sha256}, is written. */
  void record(int index, byte[] sha256) throws IOException {
    TempFile.writeFully(channel, ByteBuffer.wrap(sha256), HEADER + (long) SUM_SIZE * index);
  }

  /** The recorded SHA-256 of chunk {@code index}, or null when none is. */
  byte[] recorded(int index) throws IOException {
    ByteBuffer sum = ByteBuffer.allocate(SUM_SIZE);
    long position = HEADER + (long) SUM_SIZE * index;
    while (sum.hasRemaining()) {
      if (channel.read(sum, position + sum.position()) < 0) {
        return null;
      }
    }
    byte[] bytes = sum.array();
    for (byte b : bytes) {
      if (b != 0) {
        return bytes;
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
