package io.silentmode.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.DoubleStream;

/**
 * Keeps silentmode's own meters from the events the registry, the orchestrator and the webhook sender publish, and
 * DOWNLOAD_DIR's free space ({@link DownloadDirSpace}). Deploy one per Vertx; without metrics on that Vertx it does
 * nothing. docs/grafana and docs/prometheus use these names (DashboardMetricsTest checks them against a scrape).
 */
public class MetricsVerticle extends VerticleBase {

  private static final System.Logger log = System.getLogger(MetricsVerticle.class.getName());
  private static final List<String> PULL_OUTCOMES = List.of("completed", "failed", "cancelled");
  static final Duration[] PULL_DURATION_BUCKETS = DoubleStream.of(0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 900, 3600)
    .mapToObj(seconds -> Duration.ofMillis(Math.round(seconds * 1000))).toArray(Duration[]::new);
  private static final List<String> WEBHOOK_OUTCOMES = List.of("delivered", "retrying", "failed", "gone");
  private static final List<String> TLS_RELOAD_OUTCOMES = List.of("reloaded", "refused");
  private static final List<String> API_REFUSALS =
    List.of("unauthenticated", "forbidden", "rate_limited", "too_many_streams", "body_too_large");
  private static final List<String> AUTH_REFUSALS = List.of("not_enrolled", "auth_failed", "revoked", "enrollment_refused");

  /** Read by scrapes on other threads, hence concurrent. clientId → its current connectionId. */
  private final Map<String, String> connections = new ConcurrentHashMap<>();
  /** requestIds of pulls waiting for their agent to connect. */
  private final Set<String> queuedPulls = ConcurrentHashMap.newKeySet();
  /** requestIds of pulls in progress. */
  private final Set<String> activePulls = ConcurrentHashMap.newKeySet();
  /** requestIds of paused pulls. */
  private final Set<String> pausedPulls = ConcurrentHashMap.newKeySet();
  private final ServerConfig config;
  private MeterRegistry registry;
  private List<Meter> gauges;
  private DownloadDirSpace space;
  private Counter pulledBytes;
  private Counter receivedBytes;
  private Counter resentBytes;
  private Counter chunkRetries;
  private Counter resumes;
  private Counter refusedConnections;

  public MetricsVerticle(ServerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    registry = Metrics.registry(vertx);
    if (registry == null) {
      log.log(System.Logger.Level.DEBUG, "Metrics are off on this Vertx; silentmode meters are not kept");
      return Future.succeededFuture();
    }
    space = new DownloadDirSpace(vertx, Path.of(config.downloadDir()));
    gauges = new ArrayList<>(List.of(
      Gauge.builder("silentmode.agents.connected", connections, Map::size)
        .description("Agents connected now").register(registry),
      Gauge.builder("silentmode.pulls.queued", queuedPulls, Set::size)
        .description("Pulls queued, waiting for their agent or a MAX_ACTIVE_PULLS slot").register(registry),
      Gauge.builder("silentmode.pulls.active", activePulls, Set::size)
        .description("Pulls in progress").register(registry),
      Gauge.builder("silentmode.pulls.paused", pausedPulls, Set::size)
        .description("Pulls paused, waiting for their agent or an operator").register(registry)));
    gauges.addAll(space.register(registry, config.minFreeSpace()));
    // Zero series from the start, so that rate() and increase() see the first event, and dashboards show 0, not
    // "no data", before the first pull ends.
    PULL_OUTCOMES.forEach(outcome -> {
      pulls(outcome);
      pullDuration(outcome);
    });
    WEBHOOK_OUTCOMES.forEach(this::webhookDeliveries);
    TLS_RELOAD_OUTCOMES.forEach(this::tlsReloads);
    API_REFUSALS.forEach(this::apiRefusals);
    AUTH_REFUSALS.forEach(this::authRefused);
    pulledBytes = Counter.builder("silentmode.pulled.bytes").description("Bytes pulled from agents by finished pulls")
      .baseUnit("bytes").register(registry);
    receivedBytes = Counter.builder("silentmode.received.bytes")
      .description("Chunk bytes received by finished pulls, re-sent ones included").baseUnit("bytes").register(registry);
    resentBytes = Counter.builder("silentmode.resent.bytes").description("Chunk bytes finished pulls received more than once")
      .baseUnit("bytes").register(registry);
    chunkRetries = Counter.builder("silentmode.chunk.retries").description("Chunk retries of finished pulls").register(registry);
    refusedConnections = Counter.builder("silentmode.agent.connections.refused")
      .description("Agent connections refused over MAX_AGENT_CONNECTIONS or MAX_AGENT_CONNECTIONS_PER_ADDRESS").register(registry);
    resumes = Counter.builder("silentmode.pull.resumes").description("Times finished pulls continued after a pause")
      .register(registry);
    EventBus bus = vertx.eventBus();
    // Local consumers: each node counts the events of its own verticles, so summing over nodes counts each once.
    return Future.all(List.of(space.start(),
      bus.<JsonObject>localConsumer(Addresses.REGISTRY_EVENTS, m -> onRegistryEvent(m.body())).completion(),
      bus.<JsonObject>localConsumer(Addresses.DOWNLOADS_EVENTS, m -> onDownloadEvent(m.body())).completion(),
      bus.<JsonObject>localConsumer(Addresses.WEBHOOKS_EVENTS, m -> onWebhookEvent(m.body())).completion(),
      bus.<JsonObject>localConsumer(Addresses.GATEWAY_REFUSED, m -> refusedConnections.increment()).completion(),
      bus.<JsonObject>localConsumer(Addresses.API_REFUSED, m -> apiRefusals(m.body().getString("reason")).increment()).completion(),
      bus.<JsonObject>localConsumer(Addresses.TLS_EVENTS, m -> tlsReloads(m.body().getString("event")).increment()).completion(),
      bus.<JsonObject>localConsumer(Addresses.GATEWAY_AUTH_REFUSED, m -> authRefused(m.body().getString("reason")).increment()).completion()));
  }

  @Override
  public Future<?> stop() {
    // The registry outlives this verticle: a redeployed one must not find gauges still bound to these collections.
    if (gauges != null) {
      space.stop();
      gauges.forEach(registry::remove);
    }
    return Future.succeededFuture();
  }

  private void onRegistryEvent(JsonObject e) {
    String clientId = e.getString("clientId");
    String connectionId = e.getString("connectionId");
    switch (e.getString("event", "")) {
      case "connected" -> connections.put(clientId, connectionId);
      // A replaced connection's disconnect may arrive after its successor connected: it must not remove the successor.
      case "disconnected" -> connections.remove(clientId, connectionId);
      default -> {
      }
    }
  }

  private void onDownloadEvent(JsonObject job) {
    String requestId = job.getString("requestId");
    if (!"final".equals(job.getString("event"))) {
      track(queuedPulls, requestId, "queued".equals(job.getString("status")));
      track(activePulls, requestId, "in_progress".equals(job.getString("status")));
      track(pausedPulls, requestId, "paused".equals(job.getString("status")));
      return;
    }
    queuedPulls.remove(requestId);
    activePulls.remove(requestId);
    pausedPulls.remove(requestId);
    String outcome = job.getString("status");
    pulls(outcome).increment();
    pulledBytes.increment(job.getLong("bytesDone", 0L));
    receivedBytes.increment(job.getLong("bytesReceived", 0L));
    resentBytes.increment(job.getLong("bytesResent", 0L));
    chunkRetries.increment(job.getInteger("retries", 0));
    resumes.increment(job.getInteger("resumes", 0));
    // Job JSON holds explicit nulls, which getString(key, default) would return as they are.
    String started = job.getString("startedAt");
    String start = started != null ? started : job.getString("createdAt");
    String finish = job.getString("finishedAt");
    if (start != null && finish != null) {
      pullDuration(outcome).record(Duration.between(Instant.parse(start), Instant.parse(finish)));
    }
  }

  private static void track(Set<String> pulls, String requestId, boolean member) {
    if (member) {
      pulls.add(requestId);
    } else {
      pulls.remove(requestId);
    }
  }

  private void onWebhookEvent(JsonObject e) {
    webhookDeliveries(e.getString("outcome")).increment();
  }

  private Counter pulls(String outcome) {
    return Counter.builder("silentmode.pulls").description("Finished pulls").tag("outcome", outcome).register(registry);
  }

  private Counter apiRefusals(String reason) {
    return Counter.builder("silentmode.api.refused").description("API requests refused before their operation: no or a bad "
      + "token, a role short of the operation's, API_RATE_LIMIT, MAX_EVENT_STREAMS, MAX_BODY_SIZE").tag("reason", reason)
      .register(registry);
  }

  private Counter tlsReloads(String outcome) {
    return Counter.builder("silentmode.tls.reloads").description("Changed TLS_CERT and TLS_KEY files taken or refused")
      .tag("outcome", outcome).register(registry);
  }

  private Counter authRefused(String reason) {
    return Counter.builder("silentmode.agent.auth.refused")
      .description("REGISTERs refused because the sender did not prove to be the agent it named").tag("reason", reason)
      .register(registry);
  }

  private Timer pullDuration(String outcome) {
    return Timer.builder("silentmode.pull.duration").description("Time from start to end of finished pulls").tag("outcome", outcome)
      // A handful of buckets across what pulls take, 0.1 s to an hour: a percentile histogram has about 70 per
      // outcome, each a series for Prometheus to keep.
      .serviceLevelObjectives(PULL_DURATION_BUCKETS)
      .register(registry);
  }

  private Counter webhookDeliveries(String outcome) {
    return Counter.builder("silentmode.webhook.deliveries").description("Webhook delivery attempts").tag("outcome", outcome)
      .register(registry);
  }
}
