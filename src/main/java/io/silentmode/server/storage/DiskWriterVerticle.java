package io.silentmode.server.storage;

import io.netty.buffer.ByteBuf;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.Addresses;
import io.silentmode.server.ReceivedChunk;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.storage.SumsFile.Version;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Verifies chunks and writes them into the part files of their pull inside DOWNLOAD_DIR ({@link PartFile}), then
 * publishes the file atomically: whole-file SHA-256 check, fsync file, rename, fsync directory. A partial file never
 * has a final name. The part files of a pull that pauses, or of a server that stops, stay for the pull to resume;
 * {@link Addresses#STORAGE_SWEEP} removes those no job owns.
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
  private final boolean shared;
  private final Map<String, PartFile> open = new HashMap<>();
  /**
   * Part files being opened again off this thread (their kept chunks are read back): a close or abort of the same
   * part waits for the open, so messages about one part apply in the order they were sent.
   */
  private final Map<String, Future<PartFile>> opening = new HashMap<>();
  /** The buffers chunks are written from, one for each chunk check running at once. */
  private final Queue<TempFile.Scratch> scratches = new ConcurrentLinkedQueue<>();
  /** Chunk checks run here, not on the worker pool this verticle and the job store queue on. */
  private WorkerExecutor checks;
  /** Checks queued or running: their callbacks release the frames, so the pool must not close before they end. */
  private final Set<Future<?>> checking = new HashSet<>();
  private Path dir;

  /**
   * @param shared DOWNLOAD_DIR is shared with other members of a cluster, whose part files this node's jobs do not
   *               own: the sweep leaves a part file alone until it is untouched for RESUME_TIMEOUT
   */
  public DiskWriterVerticle(ServerConfig config, boolean shared) {
    this.config = config;
    this.shared = shared;
  }

  @Override
  public Future<?> start() {
    dir = Path.of(config.downloadDir()).toAbsolutePath().normalize();
    checks = vertx.createSharedWorkerExecutor("silentmode-chunk-checks", Runtime.getRuntime().availableProcessors());
    EventBus bus = vertx.eventBus();
    return Future.all(List.of(
      bus.<JsonObject>localConsumer(Addresses.STORAGE_OPEN, this::open).completion(),
      bus.<ByteBuf>localConsumer(Addresses.STORAGE_WRITE, this::write).completion(),
      bus.<JsonObject>localConsumer(Addresses.STORAGE_COMMIT, m -> handle(m, () -> commit(m.body()))).completion(),
      bus.<JsonObject>localConsumer(Addresses.STORAGE_CLOSE, m -> afterOpening(m, () -> close(partId(m), false))).completion(),
      bus.<JsonObject>localConsumer(Addresses.STORAGE_ABORT, m -> afterOpening(m, () -> close(partId(m), true))).completion(),
      bus.<JsonObject>localConsumer(Addresses.STORAGE_SWEEP, m -> handle(m, () -> sweep(m.body().getJsonArray("keep")))).completion()));
  }

  /** Closes the open part files and keeps them: the pulls resume after the restart. */
  @Override
  public Future<?> stop() {
    closeAll();
    // The checks of closed parts fail (their files are closed) but still release their frames: wait for them all,
    // and close what an open under way opened meanwhile.
    return Future.join(List.copyOf(checking)).otherwiseEmpty().compose(v -> {
      closeAll();
      return checks.close();
    });
  }

  private void closeAll() {
    open.keySet().stream().toList().forEach(id -> close(id, false));
  }

  /** Every request gets an answer, even when an Error is thrown, such as no direct memory left for a buffer. */
  private <T> void handle(Message<?> m, Supplier<T> action) {
    try {
      m.reply(action.get());
    } catch (Throwable e) {
      fail(m, e);
    }
  }

  private <T> void afterOpening(Message<JsonObject> m, Supplier<T> action) {
    Future<PartFile> pending = opening.get(partId(m));
    if (pending == null) {
      handle(m, action);
    } else {
      pending.onComplete(done -> handle(m, action));
    }
  }

  private static String partId(Message<JsonObject> m) {
    return m.body().getString("partId");
  }

  private static void fail(Message<?> m, Throwable e) {
    if (e instanceof PullException p) {
      m.fail(p.code().busCode(), p.getMessage());
    } else {
      log.log(System.Logger.Level.ERROR, "Disk writer failed", e);
      m.fail(ErrorCode.STORAGE_ERROR.busCode(), e.getMessage());
    }
  }

  /**
   * New part files, or with {@code resume} the kept ones, read back and verified on the chunk-check pool. A pull
   * whose part files are gone but whose file was published (the server stopped between the rename and the record)
   * gets that file back instead.
   */
  private void open(Message<JsonObject> m) {
    JsonObject req = m.body();
    String partId = req.getString("partId");
    Version version = new Version(req.getLong("size"), req.getInteger("chunkSize"), req.getString("sha256"));
    int totalChunks = req.getInteger("totalChunks");
    Path target = dir.resolve(req.getString("finalName"));
    close(partId, false);
    if (!req.getBoolean("resume", false)) {
      handle(m, () -> opened(partId, create(partId, target, version, totalChunks)));
      return;
    }
    Future<PartFile> reopened = checks.executeBlocking(() -> {
      PartFile kept = PartFile.resume(dir, partId, target, version, totalChunks);
      if (kept == null && PartFile.published(dir, partId, target, version)) {
        delete(PartFile.sumsPath(dir, partId)); // left by a crash between the rename and its removal
        return null; // the reply below says so
      }
      return kept != null ? kept : create(partId, target, version, totalChunks);
    }, false);
    opening.put(partId, reopened);
    checking.add(reopened);
    reopened.onComplete(done -> {
      opening.remove(partId);
      checking.remove(reopened);
      if (done.failed()) {
        fail(m, done.cause() instanceof IOException e ? ioError("cannot open the part files", target, e) : done.cause());
      } else if (done.result() == null) {
        m.reply(new JsonObject().put("published", new JsonObject().put("path", target.toString())
          .put("sha256", version.sha256()).put("size", version.size())));
      } else {
        m.reply(opened(partId, done.result()));
      }
    });
  }

  private PartFile create(String partId, Path target, Version version, int totalChunks) {
    try {
      Files.createDirectories(dir);
      return PartFile.create(dir, partId, target, version, totalChunks);
    } catch (IOException e) {
      throw ioError("cannot create the part files", PartFile.partPath(dir, partId), e);
    }
  }

  private JsonObject opened(String partId, PartFile part) {
    open.put(partId, part);
    return new JsonObject().put("verifiedChunks", part.verifiedChunks()).put("verifiedBytes", part.verifiedBytes());
  }

  /** Takes ownership of the frame: it is released once written and hashed, or dropped. */
  private void write(Message<ByteBuf> m) {
    ByteBuf frame = m.body();
    String partId = m.headers().get("partId");
    PartFile part = open.get(partId);
    if (part == null) {
      frame.release();
      fail(m, storageError("no open part file " + partId));
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
      if (open.get(partId) != part) {
        frame.release();
        m.reply(null); // closed meanwhile (which also fails a write under way): the pull paused or ended
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
   * part closed meanwhile fails the write without touching the disk.
   */
  private Void verifyAndWrite(PartFile part, int index, ByteBuf frame) throws IOException {
    ByteBuffer[] payload = ReceivedChunk.payload(frame);
    MessageDigest digest = Sha256.digest();
    for (ByteBuffer piece : payload) {
      digest.update(piece.duplicate());
    }
    byte[] sha256 = ReceivedChunk.sha256(frame);
    if (!Arrays.equals(digest.digest(), sha256)) {
      throw new PullException(ErrorCode.CHUNK_CHECKSUM_FAILED, "chunk " + index + " does not match its SHA-256");
    }
    TempFile.Scratch scratch = Objects.requireNonNullElseGet(scratches.poll(), TempFile.Scratch::new);
    try {
      part.write(index, payload, sha256, scratch);
    } catch (ClosedChannelException e) { // the pull paused or ended meanwhile: expected, nothing to log
      throw storageError("chunk " + index + " came after its part file was closed");
    } catch (IOException e) {
      throw ioError("cannot write chunk " + index, part.part, e);
    } finally {
      scratches.offer(scratch);
    }
    return null;
  }

  private JsonObject commit(JsonObject req) {
    String partId = req.getString("partId");
    PartFile part = open.get(partId);
    if (part == null) {
      throw storageError("no open part file " + partId);
    }
    if (part.hashed() != part.totalChunks()) {
      throw storageError("commit before all chunks were written (" + part.hashed() + " of " + part.totalChunks() + ")");
    }
    String expected = req.getString("sha256");
    String actual = part.fileHash();
    if (!actual.equalsIgnoreCase(expected)) {
      close(partId, true);
      throw new PullException(ErrorCode.FILE_CHECKSUM_FAILED, "the received file's SHA-256 " + actual
        + " differs from the agent's " + expected + "; nothing was kept");
    }
    open.remove(partId);
    try {
      part.publish();
    } catch (IOException e) {
      // An fsync error means the bytes may not be on disk: discard, never keep a final name we cannot vouch for.
      delete(part.part, part.sums, part.target);
      throw ioError("cannot publish the file", part.target, e);
    }
    delete(part.sums); // the file is published: a sums file left by a failure here is swept at the next start
    return new JsonObject().put("path", part.target.toString()).put("sha256", actual).put("size", part.size);
  }

  /** Closes the part files of {@code partId} if they are open, and with {@code delete} removes them, open or kept. */
  private Void close(String partId, boolean delete) {
    PartFile part = open.remove(partId);
    if (part != null) {
      try {
        part.close();
      } catch (IOException e) {
        log.log(System.Logger.Level.WARNING, "Could not close " + part.part + ": " + e);
      }
    }
    if (delete) {
      delete(PartFile.partPath(dir, partId), PartFile.sumsPath(dir, partId));
    }
    return null;
  }

  /**
   * Removes the part files no job owns: those of pulls that ended, or whose record was lost, while the server was
   * down; in a shared DOWNLOAD_DIR only those no member can still be writing or resuming.
   */
  private JsonObject sweep(JsonArray keep) {
    Set<String> owned = new HashSet<>(open.keySet());
    owned.addAll(opening.keySet());
    keep.forEach(id -> owned.add((String) id));
    List<Path> stray;
    try {
      stray = PartFile.unowned(dir, owned, shared ? Instant.now().minusMillis(config.resumeTimeout()) : Instant.MAX);
    } catch (IOException e) {
      throw ioError("cannot list the part files", dir, e);
    }
    stray.forEach(f -> log.log(System.Logger.Level.INFO, "Removing " + f + ": no job owns it"));
    delete(stray.toArray(Path[]::new));
    return new JsonObject().put("removed", stray.size());
  }

  private static void delete(Path... files) {
    for (Path file : files) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        log.log(System.Logger.Level.WARNING, "Could not remove " + file + ": " + e);
      }
    }
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
}
