package io.silentmode.server.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.util.UUID;

/**
 * How the server's Vertx is built with Micrometer metrics, and how its Prometheus registry is reached and scraped.
 * Every Vertx built here has a registry of its own, so several in one JVM (tests, clustered nodes) never share meters.
 */
public final class Metrics {

  /** Where the HTTP API mounts {@link #scrapeHandler(Vertx)}. */
  public static final String PATH = "/metrics";

  /** Marks Vert.x HTTP server meters of a scrape; every meter carrying it is denied, so the tag never shows. */
  private static final Tag SCRAPE = Tag.of("silentmode_scrape", "true");

  private Metrics() {
  }

  /**
   * A builder for a Vertx with Micrometer metrics on, every meter labelled {@code node} with the node's name (one
   * dashboard over a cluster). The metrics options are set by the metrics factory itself, so {@code with(options)}
   * and {@code withClusterManager(...)} can still be added; build one Vertx per builder call.
   */
  public static VertxBuilder vertxBuilder(String node) {
    return Vertx.builder().withMetrics(options -> newVertxMetrics(options, node));
  }

  /** The Prometheus scrape of that Vertx's registry, or null when it was built without metrics. */
  public static Handler<RoutingContext> scrapeHandler(Vertx vertx) {
    return registry(vertx) instanceof PrometheusMeterRegistry prometheus ? PrometheusScrapingHandler.create(prometheus) : null;
  }

  /** The registry of that Vertx, or null when it was built without metrics. */
  public static MeterRegistry registry(Vertx vertx) {
    return VertxRegistry.of(vertx);
  }

  private static VertxMetrics newVertxMetrics(VertxOptions options, String node) {
    MicrometerMetricsOptions metricsOptions = new MicrometerMetricsOptions()
      .setEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
      // vertx-micrometer-metrics keeps backends in a static map by registry name: a unique name per Vertx keeps the
      // fresh registry below from being swapped for another Vertx's; the entry is dropped when the Vertx closes.
      .setRegistryName("silentmode-" + UUID.randomUUID())
      .setJvmMetricsEnabled(true)
      // Off: without the address label (unbounded here, one gateway.connection.<id> per agent) these meters add up
      // every handler, and vertx-micrometer registers their gauges again for each new handler, which Micrometer
      // warns about. silentmode's own meters say what the bus is doing (MetricsVerticle).
      .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
      // Off: the TCP meters of a clustered event bus's own server and client, which vertx-micrometer registers once
      // per connection pool with the same tags (Micrometer warns); the HTTP meters cover both listening ports.
      .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
      .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
      // Route templates have bounded cardinality; the raw path (HTTP_PATH) stays off.
      .addLabels(Label.HTTP_ROUTE)
      .setServerRequestTagsProvider(Metrics::scrapeTags);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("node", node);
    // The provider tags a request when it begins, so this drops every HTTP server meter of a scrape (count, timing,
    // bytes, in-flight gauge); a route label would only come at the response and miss the request-side meters.
    registry.config().meterFilter(MeterFilter.deny(id -> id.getTag(SCRAPE.getKey()) != null));
    return new MicrometerMetricsFactory(registry).metrics(new VertxOptions(options).setMetricsOptions(metricsOptions));
  }

  private static Iterable<Tag> scrapeTags(HttpRequest request) {
    String uri = request.uri();
    return uri.equals(PATH) || uri.startsWith(PATH + "?") ? Tags.of(SCRAPE) : Tags.empty();
  }
}
