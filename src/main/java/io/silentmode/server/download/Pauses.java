package io.silentmode.server.download;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.download.Pull.PauseReason;
import io.silentmode.server.download.Pull.Status;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * Pauses and the part files they keep. A pull pauses when its agent goes, when the server restarts under it, or when
 * an operator asks; it frees its agent and its window, and its part files are closed and kept for RESUME_TIMEOUT.
 * It resumes by itself when the agent is back and idle ({@link JobBook#next}), or on an operator's resume. A failed
 * pull keeps its part files for as long, for a retry to take over. Runs on the orchestrator's event loop.
 */
final class Pauses {

  private static final System.Logger log = System.getLogger(Pauses.class.getName());

  private final Vertx vertx;
  private final ServerConfig config;
  private final JobBook jobs;
  private final PullRunner runner;

  Pauses(Vertx vertx, ServerConfig config, JobBook jobs, PullRunner runner) {
    this.vertx = vertx;
    this.config = config;
    this.jobs = jobs;
    this.runner = runner;
  }

  /**
   * Pauses a queued or running pull (not one being published), keeping what it verified. An operator's pause of a
   * pull already paused for another reason makes it wait for the operator.
   */
  void pause(Pull pull, PauseReason reason) {
    if (pull.status == Status.PAUSED) {
      if (pull.pausedReason != reason) {
        jobs.pause(pull, reason, pull.pausedUntil);
        runner.events().publish(pull, "state");
      }
      return;
    }
    boolean running = pull.status == Status.IN_PROGRESS;
    runner.cancelTimers(pull);
    if (running && reason != PauseReason.AGENT_DISCONNECTED) {
      runner.toAgent(pull, Protocol.message(MessageType.CANCEL_DOWNLOAD).put("requestId", pull.requestId.toString())
        .put("reason", "PAUSED"));
    }
    closeParts(pull);
    pull.dropWindow();
    boolean freed = jobs.pause(pull, reason, Instant.now().plusMillis(config.resumeTimeout()));
    armResumeTimer(pull);
    PullLog.log(log, System.Logger.Level.INFO, pull, "Pull " + pull.requestId + " from " + pull.clientId + " paused: " + reason
      + "; it waits until " + pull.pausedUntil);
    runner.events().publish(pull, "state");
    if (freed) {
      runner.fill();
    }
  }

  /**
   * An operator's resume: the pull starts at once if {@link PullRunner#startable}, else it waits, paused with the
   * reason it waits for (its agent away or busy, or every slot taken), and starts by itself once it can.
   */
  void resume(Pull pull) {
    if (runner.startable(pull)) {
      runner.start(pull);
    } else {
      jobs.pause(pull, runner.waitingFor(pull), pull.pausedUntil);
      runner.events().publish(pull, "state");
    }
  }

  /**
   * Takes a stored job back after a restart. A pull that was running pauses (SERVER_RESTARTED) and resumes when its
   * agent connects again; pauses and kept part files get their timers back.
   */
  void restore(Pull pull) {
    if (pull.status == Status.IN_PROGRESS) {
      jobs.pause(pull, PauseReason.SERVER_RESTARTED, Instant.now().plusMillis(config.resumeTimeout()));
      armResumeTimer(pull);
      runner.events().publish(pull, "state");
    } else if (pull.status == Status.PAUSED) {
      armResumeTimer(pull);
    } else if (pull.parts && pull.partsKeptUntil != null) {
      armKeptTimer(pull);
    }
  }

  /** Removes every part file in DOWNLOAD_DIR that no restored job owns. */
  void sweep() {
    JsonArray keep = new JsonArray();
    jobs.all().stream().filter(p -> p.parts).forEach(p -> keep.add(p.partId));
    vertx.eventBus().request(Addresses.STORAGE_SWEEP, new JsonObject().put("keep", keep))
      .onFailure(e -> log.log(System.Logger.Level.WARNING, "Could not remove stray part files: " + e.getMessage()));
  }

  /**
   * A retry takes over the part files its failed predecessor kept, and the version they are of: if the agent's file
   * is still that version, the retry fetches only what is missing.
   */
  boolean handOver(Pull failed, Pull retry) {
    if (!failed.parts || failed.partsKeptUntil == null) {
      return false;
    }
    runner.cancelTimer(failed, Pull.RESUME_TIMER);
    retry.partId = failed.partId;
    retry.parts = true;
    retry.size = failed.size;
    retry.chunkSize = failed.chunkSize;
    retry.totalChunks = failed.totalChunks;
    retry.agentSha256 = failed.agentSha256;
    failed.parts = false;
    failed.partsKeptUntil = null;
    runner.events().save(failed);
    return true;
  }

  /** A retry that could not be created gives the part files back to the failed pull, if it still has them. */
  void handBack(Pull retry, Pull failed) {
    if (retry.parts) {
      failed.parts = true;
      failed.partsKeptUntil = Instant.now().plusMillis(config.resumeTimeout());
      armKeptTimer(failed);
      runner.events().save(failed);
    }
  }

  /**
   * What becomes of the part files of a pull that ended other than completed: with {@code keep}, closed and kept for
   * RESUME_TIMEOUT for a retry; else removed.
   */
  void releaseParts(Pull pull, boolean keep) {
    if (!pull.parts) {
      return;
    }
    if (keep) {
      closeParts(pull);
      pull.partsKeptUntil = Instant.now().plusMillis(config.resumeTimeout());
      armKeptTimer(pull);
    } else {
      dropParts(pull);
    }
  }

  /** Removes the part files of a job that is pruned, and the timer that would have, and saved the job again. */
  void forget(Pull pull) {
    runner.cancelTimer(pull, Pull.RESUME_TIMER);
    if (pull.parts) {
      dropParts(pull);
    }
  }

  private void armResumeTimer(Pull pull) {
    pull.timers.put(Pull.RESUME_TIMER, vertx.setTimer(delayUntil(pull.pausedUntil), t -> runner.finish(pull,
      Status.FAILED, ErrorCode.RESUME_TIMEOUT, "the pull was paused (" + pull.pausedReason + ") longer than "
        + "RESUME_TIMEOUT (" + config.resumeTimeout() + " ms); its verified chunks are gone, retry to start again")));
  }

  private void armKeptTimer(Pull pull) {
    pull.timers.put(Pull.RESUME_TIMER, vertx.setTimer(delayUntil(pull.partsKeptUntil), t -> {
      pull.timers.remove(Pull.RESUME_TIMER);
      dropParts(pull);
      runner.events().save(pull);
    }));
  }

  private static long delayUntil(Instant when) {
    return Math.max(1, when.toEpochMilli() - System.currentTimeMillis());
  }

  private void closeParts(Pull pull) {
    if (pull.storageOpen) {
      pull.storageOpen = false;
      vertx.eventBus().request(Addresses.STORAGE_CLOSE, new JsonObject().put("partId", pull.partId));
    }
  }

  private void dropParts(Pull pull) {
    pull.storageOpen = false;
    pull.parts = false;
    pull.partsKeptUntil = null;
    vertx.eventBus().request(Addresses.STORAGE_ABORT, new JsonObject().put("partId", pull.partId));
  }
}
