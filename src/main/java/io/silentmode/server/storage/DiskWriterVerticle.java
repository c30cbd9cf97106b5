package io.silentmode.server.storage;

import io.netty.buffer.ByteBuf;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.Addresses;
import io.silentmode.server.ReceivedChunk;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Verifies chunks and writes them into a temp file inside DOWNLOAD_DIR, then publishes the file atomically:
 * whole-file SHA-256 check, fsync file, rename, fsync directory. A partial file never has a final name.
 * <p>
 * Deployed as a worker: file I/O and hashing block, and a worker instance handles one message at a time,
 * so per-pull state needs no locking. Each payload byte is hashed twice, once for its chunk and once for
 * the file, and never again. The two run on different threads: a chunk is verified and then written on a small
 * pool of its own, several chunks at once, while the file hash runs here, in index order. Writing there rather
 * than here keeps the file hash going while a write waits for the disk (an O_DIRECT write returns only once the
 * device has the bytes); when the file hash waited for every write, both cores of a small server sat idle a fifth
 * of the time. Chunks that arrive ahead of the file hash wait in memory, at most the orchestrator's window of them.
 */
public class DiskWriterVerticle extends VerticleBase {

  private static final System.Logger log = System.getLogger(DiskWriterVerticle.class.getName());

  private final ServerConfig config;
  private final Map<String, PartFile> open = new HashMap<>();
  /** The buffers chunks are written from, one for each chunk check running at once. */
  private final Queue<TempFile.Scratch> scratches = new ConcurrentLinkedQueue<>();
  /** Chunk checks run here, not on the worker pool this verticle and the job store queue on. */
  private WorkerExecutor checks;
  /** Checks queued or running: their callbacks release the frames, so the pool must not close before they end. */
  private final Set<Future<Void>> checking = new HashSet<>();

  public DiskWriterVerticle(ServerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() throws IOException {
    removeLeftovers();
    checks = vertx.createSharedWorkerExecutor("silentmode-chunk-checks", Runtime.getRuntime().availableProcessors());
    EventBus bus = vertx.eventBus();
    return Future.all(
      bus.<JsonObject>consumer(Addresses.STORAGE_OPEN, m -> handle(m, () -> open(m.body()))).completion(),
      bus.<ByteBuf>localConsumer(Addresses.STORAGE_WRITE, this::write).completion(),
      bus.<JsonObject>consumer(Addresses.STORAGE_COMMIT, m -> handle(m, () -> commit(m.body()))).completion(),
      bus.<JsonObject>consumer(Addresses.STORAGE_ABORT, m -> handle(m, () -> abort(m.body().getString("requestId")))).completion());
  }

  /** Temp files of pulls that were running when the server stopped: those pulls failed, their bytes are useless. */
  private void removeLeftovers() throws IOException {
    Path dir = Path.of(config.downloadDir());
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().matches("\\..+\\.part")).toList()) {
        log.log(System.Logger.Level.INFO, "Removing " + f + ", left by a pull the server did not finish");
        Files.deleteIfExists(f);
      }
    }
  }

  @Override
  public Future<?> stop() {
    open.keySet().stream().toList().forEach(this::abort);
    // The checks of aborted pulls fail (their files are closed) but still release their frames: wait for them all.
    return Future.join(List.copyOf(checking)).otherwiseEmpty().compose(v -> checks.close());
  }

  /** Every request gets an answer, even when an Error is thrown, such as no direct memory left for a buffer. */
  private <T> void handle(Message<?> m, Supplier<T> action) {
    try {
      m.reply(action.get());
    } catch (Throwable e) {
      fail(m, e);
    }
  }

  private static void fail(Message<?> m, Throwable e) {
    if (e instanceof PullException p) {
      m.fail(p.code().busCode(), p.getMessage());
    } else {
      log.log(System.Logger.Level.ERROR, "Disk writer failed", e);
      m.fail(ErrorCode.STORAGE_ERROR.busCode(), e.getMessage());
    }
  }

  private JsonObject open(JsonObject req) {
    String requestId = req.getString("requestId");
    Path dir = Path.of(config.downloadDir()).toAbsolutePath().normalize();
    String finalName = req.getString("finalName");
    Path target = dir.resolve(finalName);
    Path temp = dir.resolve("." + finalName + ".part");
    try {
      Files.createDirectories(dir);
      open.put(requestId, new PartFile(TempFile.create(temp, req.getInteger("chunkSize")), temp, target,
        req.getLong("size"), req.getInteger("totalChunks")));
      return new JsonObject().put("tempPath", temp.toString());
    } catch (IOException e) {
      throw ioError("cannot create the temp file", temp, e);
    }
  }

  /** Takes ownership of the frame: it is released once written and hashed, or dropped. */
  private void write(Message<ByteBuf> m) {
    ByteBuf frame = m.body();
    String requestId = m.headers().get("requestId");
    PartFile part = open.get(requestId);
    if (part == null) {
      frame.release();
      fail(m, noOpenFile(requestId));
      return;
    }
    int index = ReceivedChunk.index(frame);
    Future<Void> check;
    try {
      check = checks.executeBlocking(() -> verifyAndWrite(part, index, frame), false);
    } catch (RejectedExecutionException e) { // the pool is closed: the server is stopping
      frame.release();
      fail(m, storageError("the disk writer is stopping"));
      return;
    }
    checking.add(check);
    check.onComplete(checked -> {
      checking.remove(check);
      if (open.get(requestId) != part) {
        frame.release();
        m.reply(null); // aborted meanwhile (which also fails a write under way): the bytes no longer matter
      } else if (checked.failed()) {
        frame.release();
        fail(m, checked.cause());
      } else {
        handle(m, () -> {
          part.hash(index, frame);
          return null;
        });
      }
    });
  }

  /**
   * Runs on the chunk-check pool, alongside other chunks: a chunk is written only once it matches its SHA-256. A
   * pull aborted meanwhile has closed its file, and the write fails without touching the disk.
   */
  private Void verifyAndWrite(PartFile part, int index, ByteBuf frame) throws IOException {
    ByteBuffer[] payload = ReceivedChunk.payload(frame);
    MessageDigest digest = Sha256.digest();
    for (ByteBuffer piece : payload) {
      digest.update(piece.duplicate());
    }
    if (!Arrays.equals(digest.digest(), ReceivedChunk.sha256(frame))) {
      throw new PullException(ErrorCode.CHUNK_CHECKSUM_FAILED, "chunk " + index + " does not match its SHA-256");
    }
    TempFile.Scratch scratch = Objects.requireNonNullElseGet(scratches.poll(), TempFile.Scratch::new);
    try {
      part.file.write(index, payload, scratch);
    } catch (ClosedChannelException e) { // the pull was aborted meanwhile: expected, nothing to log
      throw storageError("chunk " + index + " came after its pull ended");
    } catch (IOException e) {
      throw ioError("cannot write chunk " + index, part.temp, e);
    } finally {
      scratches.offer(scratch);
    }
    return null;
  }

  private JsonObject commit(JsonObject req) {
    String requestId = req.getString("requestId");
    PartFile part = part(requestId);
    String expected = req.getString("sha256");
    String actual = part.fileHash();
    if (!actual.equalsIgnoreCase(expected)) {
      abort(requestId);
      throw new PullException(ErrorCode.FILE_CHECKSUM_FAILED, "the received file's SHA-256 " + actual
        + " differs from the agent's " + expected + "; nothing was kept");
    }
    try {
      part.file.finish(part.size);
      part.file.close();
      DurableMove.move(part.temp, part.target);
    } catch (IOException e) {
      // An fsync error means the bytes may not be on disk: discard, never keep a final name we cannot vouch for.
      abort(requestId);
      deleteQuietly(part.target);
      throw ioError("cannot publish the file", part.target, e);
    }
    open.remove(requestId);
    return new JsonObject().put("path", part.target.toString()).put("sha256", actual).put("size", part.size);
  }

  private Void abort(String requestId) {
    PartFile part = open.remove(requestId);
    if (part != null) {
      part.releaseWaiting();
      try {
        part.file.close();
      } catch (IOException e) {
        log.log(System.Logger.Level.WARNING, "Could not close " + part.temp + ": " + e);
      }
      deleteQuietly(part.temp);
    }
    return null;
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.log(System.Logger.Level.WARNING, "Could not remove " + file + ": " + e);
    }
  }

  private PartFile part(String requestId) {
    PartFile part = open.get(requestId);
    if (part == null) {
      throw noOpenFile(requestId);
    }
    return part;
  }

  private static PullException noOpenFile(String requestId) {
    return storageError("no open file for pull " + requestId);
  }

  private static PullException storageError(String text) {
    return new PullException(ErrorCode.STORAGE_ERROR, text);
  }

  /** The path goes to the log only: job errors reach API clients, who should not learn the server's layout. */
  private static PullException ioError(String what, Path path, IOException e) {
    log.log(System.Logger.Level.ERROR, what + ": " + path, e);
    String reason = e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null ? fs.getReason()
      : e.getClass().getSimpleName();
    return storageError(what + " in DOWNLOAD_DIR (" + reason + "); check its free space and permissions, the server log has the path");
  }

  /** The temp file of one pull and the running whole-file hash over its chunks in index order. */
  private static final class PartFile {
    final TempFile file;
    final Path temp;
    final Path target;
    final long size;
    final int totalChunks;
    final MessageDigest fileDigest = Sha256.digest();
    /** Written frames that arrived ahead of the next one to hash, by index. */
    final TreeMap<Integer, ByteBuf> ahead = new TreeMap<>();
    int nextToHash;

    PartFile(TempFile file, Path temp, Path target, long size, int totalChunks) {
      this.file = file;
      this.temp = temp;
      this.target = target;
      this.size = size;
      this.totalChunks = totalChunks;
    }

    /** Feeds the file hash in index order with a written frame; takes ownership of the frame. */
    void hash(int index, ByteBuf frame) {
      if (index != nextToHash) {
        ahead.put(index, frame);
        return;
      }
      for (ByteBuf next = frame; next != null; next = ahead.remove(nextToHash)) {
        for (ByteBuffer part : ReceivedChunk.payload(next)) {
          fileDigest.update(part);
        }
        next.release();
        nextToHash++;
      }
    }

    void releaseWaiting() {
      ahead.values().forEach(ByteBuf::release);
      ahead.clear();
    }

    String fileHash() {
      if (nextToHash != totalChunks) {
        throw storageError("commit before all chunks were written (" + nextToHash + " of " + totalChunks + ")");
      }
      return Sha256.hex(fileDigest.digest());
    }
  }
}
