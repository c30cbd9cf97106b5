package io.silentmode.server.download;

import io.netty.buffer.ByteBuf;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.PullException;
import io.silentmode.server.Addresses;
import io.silentmode.server.ChunkCodec;
import io.silentmode.server.ReceivedChunk;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.download.Pull.Status;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The chunks of acknowledged pulls: asks for them within the pull's {@link ChunkWindow}, hands each frame to the
 * disk writer, retries failed or late ones with exponential backoff, and commits once all are written.
 * <p>
 * The window is what gives backpressure end to end: a chunk is asked for only when one inside the window has
 * been written, so a slow disk slows the agent instead of filling memory.
 */
final class ChunkTransfer {

  private static final System.Logger log = System.getLogger(ChunkTransfer.class.getName());
  private static final long PROGRESS_INTERVAL_MS = 250;
  /** How often a running pull's record is stored, so that its counters survive a crash. */
  private static final long SAVE_INTERVAL_MS = 5_000;

  private final Vertx vertx;
  private final ServerConfig config;
  private final JobBook jobs;
  private final PullRunner runner;
  /** MAX_TOTAL_RATE, shared by every pull of this server. */
  private final RateLimit totalRate;

  ChunkTransfer(Vertx vertx, ServerConfig config, JobBook jobs, PullRunner runner) {
    this.vertx = vertx;
    this.config = config;
    this.jobs = jobs;
    this.runner = runner;
    this.totalRate = new RateLimit(config.maxTotalRate(), config.chunkSize(), System.nanoTime());
  }

  /** Hands the frame on to the disk writer, or releases it: see {@link ChunkCodec}. */
  void onChunk(Message<ByteBuf> m) {
    ByteBuf frame = m.body();
    Pull pull = requestedPull(frame, m.headers().get("clientId"));
    if (pull == null) {
      frame.release();
      return;
    }
    int index = ReceivedChunk.index(frame);
    int run = pull.run;
    armStallTimer(pull);
    pull.bytesReceived += ReceivedChunk.payloadLength(frame);
    if (ReceivedChunk.payloadLength(frame) != pull.lengthOf(index)) {
      frame.release();
      chunkFailed(pull, index, "LENGTH_MISMATCH");
      return;
    }
    pull.window.writing(index);
    // The one disk writer may be busy with another pull's fsync of several GB, longer than the bus's default
    // 30 s: a write waits for it (DOWNLOAD_TIMEOUT still bounds the pull) rather than failing the pull.
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setCodecName(ChunkCodec.NAME)
      .setSendTimeout(config.downloadTimeout()).addHeader("partId", pull.partId);
    vertx.eventBus().request(Addresses.STORAGE_WRITE, frame, options)
      .onSuccess(r -> chunkWritten(pull, run, index))
      .onFailure(e -> {
        if (e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
          frame.release(); // it never reached the disk writer, which releases every frame it gets
        }
        PullException failure = PullException.of(e);
        if (!pull.runs(run)) {
          return; // paused or ended meanwhile
        }
        if (failure.code() == ErrorCode.CHUNK_CHECKSUM_FAILED) {
          chunkFailed(pull, index, ErrorCode.CHUNK_CHECKSUM_FAILED.name());
        } else {
          runner.finish(pull, Status.FAILED, failure.code(), failure.getMessage());
        }
      });
  }

  /** The pull a received frame belongs to, or null when it is malformed, late, a duplicate or never asked for. */
  private Pull requestedPull(ByteBuf frame, String clientId) {
    String malformed = ReceivedChunk.malformed(frame);
    if (malformed != null) {
      log.log(System.Logger.Level.WARNING, "Ignoring a frame from agent " + clientId + ": " + malformed);
      return null;
    }
    Pull pull = jobs.active(ReceivedChunk.requestId(frame).toString(), clientId);
    // the server only takes what it asked for
    return pull == null || pull.window == null || !pull.window.awaited(ReceivedChunk.index(frame)) ? null : pull;
  }

  /**
   * Asks for every chunk that fits in the window and the rate limits allow, or commits when all are written. When
   * a limit holds chunks back, the pull comes back here once the bucket has one more.
   */
  void advance(Pull pull) {
    if (pull.window.complete()) {
      commit(pull);
      return;
    }
    if (pull.rateLimit == null) {
      pull.rateLimit = new RateLimit(config.maxPullRate(), pull.chunkSize, System.nanoTime());
    }
    if (pull.rateLimit.unlimited() && totalRate.unlimited()) { // the default: nothing to count
      request(pull, pull.window.next());
      return;
    }
    long now = System.nanoTime();
    int allowed = Math.min(pull.rateLimit.available(pull.chunkSize, now), totalRate.available(pull.chunkSize, now));
    List<ChunkWindow.Range> ranges = pull.window.next(allowed);
    int asked = ranges.stream().mapToInt(ChunkWindow.Range::count).sum();
    pull.rateLimit.take(asked, pull.chunkSize);
    totalRate.take(asked, pull.chunkSize);
    request(pull, ranges);
    if (pull.window.hasRoom() && !pull.timers.containsKey(Pull.PACE_TIMER)) {
      long wait = Math.max(pull.rateLimit.unlimited() ? 1 : pull.rateLimit.millisUntilChunk(pull.chunkSize, now),
        totalRate.unlimited() ? 1 : totalRate.millisUntilChunk(pull.chunkSize, now));
      int run = pull.run;
      pull.timers.put(Pull.PACE_TIMER, vertx.setTimer(wait, t -> {
        pull.timers.remove(Pull.PACE_TIMER);
        if (pull.runs(run) && !pull.committing) {
          advance(pull);
        }
      }));
    }
  }

  private void request(Pull pull, List<ChunkWindow.Range> ranges) {
    if (!ranges.isEmpty()) {
      armStallTimer(pull);
    }
    ranges.forEach(r -> runner.toAgent(pull, Protocol.message(MessageType.REQUEST_CHUNKS)
      .put("requestId", pull.requestId.toString()).put("index", r.from()).put("count", r.count())));
  }

  private void chunkWritten(Pull pull, int run, int index) {
    if (!pull.runs(run)) {
      return;
    }
    pull.window.written(index);
    pull.bytesDone += pull.lengthOf(index);
    long now = System.currentTimeMillis();
    if (now - pull.lastProgressMillis >= PROGRESS_INTERVAL_MS) {
      pull.lastProgressMillis = now;
      runner.events().publish(pull, "progress");
    }
    if (now - pull.lastSaveMillis >= SAVE_INTERVAL_MS) {
      pull.lastSaveMillis = now;
      runner.events().save(pull);
    }
    advance(pull);
  }

  private void chunkFailed(Pull pull, int index, String reason) {
    int attempt = pull.window.failed(index);
    if (attempt > config.maxChunkRetryAttempts()) {
      runner.finish(pull, Status.FAILED, ErrorCode.CHUNK_TRANSFER_FAILED, "chunk " + index + " of pull " + pull.requestId
        + " failed " + attempt + " times (last: " + reason + ")");
      return;
    }
    pull.retries++;
    long delay = config.chunkRetryDelay() << (attempt - 1);
    PullLog.log(log, System.Logger.Level.INFO, pull, "Pull " + pull.requestId + ": chunk " + index + " " + reason + ", retry "
      + attempt + " in " + delay + " ms");
    pull.timers.put(index, vertx.setTimer(delay, t -> {
      pull.timers.remove(index);
      int next = pull.window.retry(index);
      armStallTimer(pull);
      runner.toAgent(pull, Protocol.message(MessageType.RETRY_CHUNK)
        .put("requestId", pull.requestId.toString()).put("index", index).put("count", 1)
        .put("attempt", next).put("reason", reason));
    }));
  }

  /**
   * CHUNK_TIMEOUT measures silence, not the age of a request: a slow link that keeps delivering is never timed
   * out, while a lost frame is noticed once the window has drained behind it. Every chunk still awaited then
   * counts as a failed attempt.
   */
  private void armStallTimer(Pull pull) {
    runner.cancelTimer(pull, Pull.STALL_TIMER);
    pull.timers.put(Pull.STALL_TIMER, vertx.setTimer(config.chunkTimeout(), t -> {
      pull.timers.remove(Pull.STALL_TIMER);
      for (int index : pull.window.awaitedChunks()) {
        if (pull.terminal()) {
          return;
        }
        chunkFailed(pull, index, "TIMEOUT");
      }
    }));
  }

  /** From here the disk writer may publish the file at any moment, so nothing but its answer ends the pull. */
  private void commit(Pull pull) {
    pull.committing = true;
    runner.cancelTimer(pull, Pull.PULL_TIMER);
    runner.cancelTimer(pull, Pull.STALL_TIMER);
    JsonObject req = new JsonObject().put("partId", pull.partId).put("sha256", pull.agentSha256);
    // fsync of a multi-GB file can take longer than the bus's default 30 s reply timeout.
    DeliveryOptions slow = new DeliveryOptions().setSendTimeout(config.downloadTimeout());
    vertx.eventBus().<JsonObject>request(Addresses.STORAGE_COMMIT, req, slow)
      .onSuccess(r -> {
        pull.storageOpen = false;
        pull.parts = false;
        pull.file = r.body();
        runner.finish(pull, Status.COMPLETED, null, null);
      })
      .onFailure(e -> {
        // what is left of the part files (the disk writer removed them if the file failed its hash) is end()'s
        PullException failure = PullException.of(e);
        runner.finish(pull, Status.FAILED, failure.code(), failure.getMessage());
      });
  }

}
