package io.silentmode.server.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.spi.metrics.MetricsProvider;
import io.vertx.micrometer.impl.MicrometerMetrics;

/**
 * The one place that reaches into vertx-micrometer-metrics' implementation ({@code io.vertx.micrometer.impl}, a
 * package its module does not export). Its public API gives a Vertx's registry only by registry name
 * ({@code BackendRegistries.getNow}), which a Vertx does not tell; its own {@code MetricsService} reads the registry
 * off the Vertx's {@code VertxMetrics} as below. Should a version move the class, only this file changes.
 */
final class VertxRegistry {

  private VertxRegistry() {
  }

  /** The registry of that Vertx, or null when it was built without Micrometer metrics. */
  static MeterRegistry of(Vertx vertx) {
    return vertx instanceof MetricsProvider provider && provider.getMetrics() instanceof MicrometerMetrics metrics
      ? metrics.registry() : null;
  }
}
