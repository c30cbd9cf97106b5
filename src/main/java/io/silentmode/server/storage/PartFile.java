package io.silentmode.server.storage;

import io.netty.buffer.ByteBuf;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.ReceivedChunk;
import io.silentmode.server.storage.SumsFile.Version;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The part files of one pull in DOWNLOAD_DIR, {@code .<partId>.part} (the chunks at their offsets) and
 * {@code .<partId>.sums} (which of them are written), and the running whole-file hash over the chunks in index order.
 * A pull that pauses closes them and keeps them; one that resumes opens them again, trusting a chunk only once its
 * bytes, read back, match its recorded sum.
 * <p>
 * The file hash and the frames waiting for it are the disk writer's alone (its thread); {@link #write} runs on the
 * chunk-check pool, several chunks at once.
 */
final class PartFile {

  /** Part files are named by a job's UUID, so that no final file, whatever its clientId and name, looks like one. */
  private static final Pattern PART_NAME = Pattern.compile("\\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\\.(part|sums)");

  final Path part;
  final Path sums;
  final Path target;
  final long size;
  private final int chunkSize;
  private final int totalChunks;
  private final TempFile data;
  private final SumsFile written;
  private final MessageDigest fileDigest;
  /** Written frames that arrived ahead of the next one to hash, by index. */
  private final TreeMap<Integer, ByteBuf> ahead = new TreeMap<>();
  /** Chunks below this one are written and hashed into the file hash. */
  private int nextToHash;

  private PartFile(Path part, Path sums, Path target, Version version, int totalChunks, TempFile data,
                   SumsFile written, MessageDigest fileDigest, int nextToHash) {
    this.part = part;
    this.sums = sums;
    this.target = target;
    this.size = version.size();
    this.chunkSize = version.chunkSize();
    this.totalChunks = totalChunks;
    this.data = data;
    this.written = written;
    this.fileDigest = fileDigest;
    this.nextToHash = nextToHash;
  }

  static Path partPath(Path dir, String partId) {
    return dir.resolve("." + partId + ".part");
  }

  static Path sumsPath(Path dir, String partId) {
    return dir.resolve("." + partId + ".sums");
  }

  /** Whether the pull's file is already published: no part files, and a final file of exactly this version. */
  static boolean published(Path dir, String partId, Path target, Version version) throws IOException {
    if (Files.exists(partPath(dir, partId)) || !Files.isRegularFile(target)
      || Files.size(target) != version.size()) {
      return false;
    }
    MessageDigest digest = Sha256.digest();
    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
    try (FileChannel in = FileChannel.open(target, StandardOpenOption.READ)) {
      while (in.read(buffer.clear()) > 0) {
        digest.update(buffer.flip());
      }
    }
    return Sha256.hex(digest.digest()).equalsIgnoreCase(version.sha256());
  }

  /**
   * The part files in {@code dir} whose partId is not in {@code owned}.
   */
  static List<Path> unowned(Path dir, Set<String> owned, Instant untouchedSince) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> {
        Matcher name = PART_NAME.matcher(f.getFileName().toString());
        return name.matches() && !owned.contains(name.group(1)) && untouched(f, untouchedSince);
      }).toList();
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }

  private static boolean untouched(Path file, Instant since) {
    try {
      return !Files.getLastModifiedTime(file).toInstant().isAfter(since);
    } catch (IOException e) {
      return false; // gone meanwhile, or another's to deal with
    }
  }

  /** New, empty part files, replacing any left by an earlier version. */
  static PartFile create(Path dir, String partId, Path target, Version version, int totalChunks) throws IOException {
    Path part = partPath(dir, partId);
    Path sums = sumsPath(dir, partId);
    Files.deleteIfExists(part);
    TempFile data = TempFile.create(part, version.chunkSize());
    try {
      return new PartFile(part, sums, target, version, totalChunks, data, SumsFile.create(sums, version),
        Sha256.digest(), 0);
    } catch (IOException e) {
      data.close();
      throw e;
    }
  }

  /**
   * The kept part files of this version, opened again, or null when there are none (or they are of another version).
   * Reads back every recorded chunk in index order and stops at the first that is missing or does not match its
   * sum: the chunks from there on are fetched again, so what a resumed pull starts from is always a verified
   * prefix, already fed to the file hash. Blocks for as long as reading the prefix takes.
   */
  static PartFile resume(Path dir, String partId, Path target, Version version, int totalChunks) throws IOException {
    Path part = partPath(dir, partId);
    Path sums = sumsPath(dir, partId);
    if (!Files.exists(part) || !Files.exists(sums)) {
      return null;
    }
    SumsFile written = SumsFile.open(sums, version);
    if (written == null) {
      return null;
    }
    try {
      MessageDigest fileDigest = Sha256.digest();
      int verified = verifiedPrefix(part, written, version, totalChunks, fileDigest);
      return new PartFile(part, sums, target, version, totalChunks, TempFile.reopen(part, version.chunkSize()),
        written, fileDigest, verified);
    } catch (IOException e) {
      written.close();
      throw e;
    }
  }

  private static int verifiedPrefix(Path part, SumsFile written, Version version, int totalChunks,
                                    MessageDigest fileDigest) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(version.chunkSize());
    MessageDigest chunkDigest = Sha256.digest();
    try (FileChannel in = FileChannel.open(part, StandardOpenOption.READ)) {
      for (int index = 0; index < totalChunks; index++) {
        byte[] sum = written.recorded(index);
        long offset = (long) index * version.chunkSize();
        chunk.clear().limit((int) Math.min(version.chunkSize(), version.size() - offset));
        while (sum != null && chunk.hasRemaining() && in.read(chunk, offset + chunk.position()) > 0) {
          // read the whole chunk, or up to the end of a file cut short by the crash
        }
        if (sum == null || chunk.hasRemaining()) {
          return index;
        }
        chunkDigest.update(chunk.array(), 0, chunk.limit());
        if (!Arrays.equals(chunkDigest.digest(), sum)) {
          return index;
        }
        fileDigest.update(chunk.array(), 0, chunk.limit());
      }
      return totalChunks;
    }
  }

  /** The chunks a resumed pull has already: {@code [0, verifiedChunks)}. */
  int verifiedChunks() {
    return nextToHash;
  }

  long verifiedBytes() {
    return Math.min(size, (long) nextToHash * chunkSize);
  }

  /** Writes a verified chunk, then records its sum: never a sum for bytes that were not written. Thread-safe. */
  void write(int index, ByteBuffer[] payload, byte[] sha256, TempFile.Scratch scratch) throws IOException {
    data.write(index, payload, scratch);
    written.record(index, sha256);
  }

  /** Feeds the file hash in index order with a written frame; takes ownership of the frame. */
  void hash(int index, ByteBuf frame) {
    if (index != nextToHash) {
      ahead.put(index, frame);
      return;
    }
    for (ByteBuf next = frame; next != null; next = ahead.remove(nextToHash)) {
      for (ByteBuffer piece : ReceivedChunk.payload(next)) {
        fileDigest.update(piece);
      }
      next.release();
      nextToHash++;
    }
  }

  /** How many chunks the file hash has taken: all of them before {@link #fileHash}. */
  int hashed() {
    return nextToHash;
  }

  int totalChunks() {
    return totalChunks;
  }

  /** The whole file's SHA-256, once every chunk is hashed; ends the hash. */
  String fileHash() {
    return Sha256.hex(fileDigest.digest());
  }

  /** Cuts the padding, forces the bytes to disk and renames the file to its final name durably; the sums stay. */
  void publish() throws IOException {
    data.finish(size);
    close();
    DurableMove.move(part, target);
  }

  /** Closes both files, keeping them; drops the frames waiting for the file hash. */
  void close() throws IOException {
    ahead.values().forEach(ByteBuf::release);
    ahead.clear();
    try {
      data.close();
    } finally {
      written.close();
    }
  }
}
