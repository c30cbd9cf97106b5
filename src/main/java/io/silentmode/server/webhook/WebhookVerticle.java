package io.silentmode.server.webhook;

import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.codec.BodyCodec;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import static java.lang.System.Logger.Level.WARNING;

/**
 * Tells a job's {@code callbackUrl} that the job ended ({@code download.completed|failed|cancelled}) or paused
 * ({@code download.paused}), and a batch's that the batch ended ({@code batch.completed|failed|cancelled}), as a Standard Webhooks POST signed with the server's {@code whsec_} secret. Failed
 * attempts are retried with exponential backoff and jitter; 410 Gone stops at once.
 * The outcome of every attempt of the final webhook is published on {@link Addresses#WEBHOOKS_EVENTS}, which the
 * orchestrator shows as the job's {@code webhook}; a pause's webhook is only logged when it fails, so that it never
 * overwrites how the final one went. Pending deliveries live in memory; after a restart the orchestrator hands back,
 * on {@link Addresses#WEBHOOKS_RESUME}, the jobs whose final delivery had not ended, and they go on from the next
 * attempt. A pause's delivery is not resumed: the job's next event supersedes it.
 */
public class WebhookVerticle extends VerticleBase {

  private static final System.Logger log = System.getLogger(WebhookVerticle.class.getName());
  /** Caps the doubling, so a large WEBHOOK_MAX_ATTEMPTS cannot overflow the delay. */
  private static final long MAX_DELAY = Duration.ofDays(1).toMillis();

  private final ServerConfig config;
  /** Retry timers that have not fired yet. */
  private final Set<Long> timers = new HashSet<>();
  private WebhookSignature signature;
  private WebClient client;
  private boolean stopped;

  public WebhookVerticle(ServerConfig config) {
    this.config = config;
  }

  /** One webhook: what every attempt resends unchanged; {@code tracked} when its outcomes are reported. */
  /** {@code subject} names what it is about in the log: {@code job <requestId>} or {@code batch <batchId>}. */
  private record Delivery(String requestId, String subject, String url, String id, Buffer body, boolean tracked) {
  }

  @Override
  public Future<?> start() {
    signature = new WebhookSignature(config.webhookSecret());
    // Standard Webhooks counts a 3xx as a failure: the receiver should fix its URL rather than be followed.
    client = WebClient.create(vertx, new WebClientOptions().setUserAgent("silentmode-webhook").setFollowRedirects(false));
    return Future.all(
      vertx.eventBus().<JsonObject>localConsumer(Addresses.DOWNLOADS_EVENTS, m -> onEvent(m.body())).completion(),
      vertx.eventBus().<JsonObject>localConsumer(Addresses.BATCHES_EVENTS, m -> onBatchEnd(m.body())).completion(),
      vertx.eventBus().<JsonObject>localConsumer(Addresses.WEBHOOKS_RESUME, m -> onResume(m.body())).completion());
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    client.close(); // WebClient.close() returns nothing to wait for
    return Future.succeededFuture();
  }

  private void onEvent(JsonObject event) {
    String name = event.getString("event");
    if ("final".equals(name)) {
      deliver(event, finalId(event), 1, true);
    } else if ("state".equals(name) && "paused".equals(event.getString("status"))) {
      // A job pauses more than once, and a resume that waits for its agent changes the reason: the event's
      // sequence number tells those webhooks apart for the receiver's deduplication.
      deliver(event, finalId(event) + "_paused_" + event.getLong("seq"), 1, false);
    }
  }

  /**
   * A batch's end: one webhook ({@code batch.completed|failed|cancelled}, the batch without its members), not one per
   * member. Its outcome is only logged, like a pause's.
   */
  private void onBatchEnd(JsonObject event) {
    if (!(event.getValue("callbackUrl") instanceof String url) || url.isBlank()) {
      return;
    }
    JsonObject batch = event.copy();
    batch.remove("event");
    batch.remove("seq");
    Buffer body = new JsonObject()
      .put("type", "batch." + batch.getString("status"))
      .put("timestamp", Instant.now().toString())
      .put("data", batch)
      .toBuffer();
    attempt(new Delivery(null, "batch " + batch.getString("batchId"), url, "msg_batch_" + batch.getString("batchId"), body, false), 1);
  }

  /** The final webhook's id, the same across retries and restarts. */
  private static String finalId(JsonObject job) {
    return "msg_" + job.getString("requestId");
  }

  private void onResume(JsonObject job) {
    JsonObject webhook = job.getJsonObject("webhook");
    int done = webhook == null ? 0 : webhook.getInteger("attempts", 0);
    if (done < config.webhookMaxAttempts()) {
      deliver(job, finalId(job), done + 1, true);
    }
  }

  private void deliver(JsonObject event, String id, int firstAttempt, boolean tracked) {
    if (!(event.getValue("callbackUrl") instanceof String url) || url.isBlank()) {
      return;
    }
    JsonObject job = event.copy();
    job.remove("event");
    job.remove("seq");
    String requestId = job.getString("requestId");
    // Built once: the payload timestamp is the event's, and the id is the receiver's idempotency key across retries.
    Buffer body = new JsonObject()
      .put("type", "download." + job.getString("status"))
      .put("timestamp", Instant.now().toString())
      .put("data", job)
      .toBuffer();
    attempt(new Delivery(requestId, "job " + requestId, url, id, body, tracked), firstAttempt);
  }

  private void attempt(Delivery d, int attempt) {
    send(d, Instant.now().getEpochSecond()).onComplete(ar -> {
      if (stopped) {
        return; // the client was closed under this attempt
      }
      HttpResponse<Void> response = ar.result();
      Integer status = response == null ? null : response.statusCode();
      if (status != null && status / 100 == 2) {
        report(d, attempt, "delivered", status, null, null);
        return;
      }
      String error = status != null ? "HTTP " + status + " " + response.statusMessage()
        : Objects.requireNonNullElse(ar.cause().getMessage(), ar.cause().toString());
      String failed = "Webhook " + d.id() + " attempt " + attempt + " for " + d.subject() + " to " + d.url()
        + " failed: " + error;
      if (status != null && status == 410) {
        log.log(WARNING, failed + "; the receiver is gone, not retrying");
        report(d, attempt, "gone", status, error, null);
      } else if (attempt >= config.webhookMaxAttempts()) {
        log.log(WARNING, failed + "; giving up after " + attempt + " attempts");
        report(d, attempt, "failed", status, error, null);
      } else {
        long delay = backoff(attempt);
        log.log(WARNING, failed + "; retrying in " + delay + " ms");
        report(d, attempt, "retrying", status, error, Instant.now().plusMillis(delay));
        timers.add(vertx.setTimer(delay, id -> {
          timers.remove(id);
          attempt(d, attempt + 1);
        }));
      }
    });
  }

  private Future<HttpResponse<Void>> send(Delivery d, long timestamp) {
    return CallbackTarget.of(vertx, d.url(), config.allowPrivateCallbacks()).compose(target -> post(d, target, timestamp));
  }

  private Future<HttpResponse<Void>> post(Delivery d, SocketAddress target, long timestamp) {
    try {
      return (target == null ? client.postAbs(d.url()) : client.requestAbs(HttpMethod.POST, target, d.url()))
        .timeout(config.webhookTimeout())
        .putHeader("content-type", "application/json")
        .putHeader("webhook-id", d.id())
        .putHeader("webhook-timestamp", Long.toString(timestamp))
        .putHeader("webhook-signature", signature.sign(d.id(), timestamp, d.body()))
        .as(BodyCodec.none())
        .sendBuffer(d.body());
    } catch (VertxException e) { // postAbs throws on a URL it cannot parse
      return Future.failedFuture(e);
    }
  }

  /** Delay before the attempt after {@code attempt}: the first retry delay doubled each time, then ±20% jitter. */
  private long backoff(int attempt) {
    double doubled = Math.min(config.webhookRetryDelay() * Math.pow(2, attempt - 1), MAX_DELAY);
    // setTimer rejects delays under 1 ms
    return Math.max(1, Math.round(doubled * ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
  }

  private void report(Delivery d, int attempt, String outcome, Integer status, String error, Instant nextAttemptAt) {
    if (!d.tracked()) {
      return;
    }
    JsonObject event = new JsonObject().put("requestId", d.requestId()).put("attempt", attempt).put("outcome", outcome);
    if (status != null) {
      event.put("statusCode", status);
    }
    if (error != null) {
      event.put("error", error);
    }
    if (nextAttemptAt != null) {
      event.put("nextAttemptAt", nextAttemptAt.toString());
    }
    vertx.eventBus().publish(Addresses.WEBHOOKS_EVENTS, event.put("at", Instant.now().toString()));
  }
}
