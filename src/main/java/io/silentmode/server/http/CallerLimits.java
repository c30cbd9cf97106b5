package io.silentmode.server.http;

import io.silentmode.protocol.ErrorCode;
import io.vertx.ext.web.RoutingContext;

import java.util.HashMap;
import java.util.Map;

/**
 * The API's limits per caller, a caller being a remote address (what a client cannot choose at will, unlike a
 * token it makes up): API_RATE_LIMIT requests a second, in a token bucket that allows bursts of twice that, and
 * MAX_EVENT_STREAMS event streams open at once. Beyond either the answer is 429 TOO_MANY_REQUESTS with
 * {@code Retry-After}. The table of callers is bounded too: when it is full, the callers whose buckets are full
 * again (idle for a while) are forgotten. One instance per API server, on its event loop.
 */
final class CallerLimits {

  private static final int MAX_CALLERS = 10_000;

  private static final class Caller {
    double tokens;
    long lastNanos;
    int streams;
  }

  private final int perSecond;
  private final int maxStreams;
  private final String prefix;
  private final Map<String, Caller> callers = new HashMap<>();

  CallerLimits(int perSecond, int maxStreams, String prefix) {
    this.perSecond = perSecond;
    this.maxStreams = maxStreams;
    this.prefix = prefix;
  }

  /**
   * Lets the request on, or answers 429. Probes and the contract are not counted: a load balancer's health checks
   * come from few addresses, often.
   */
  void admit(RoutingContext rc) {
    String path = rc.normalizedPath();
    if (perSecond == 0 || path.startsWith(prefix + "/health") || path.equals(prefix + "/openapi.yaml")) {
      rc.next();
      return;
    }
    Caller caller = caller(rc);
    long now = System.nanoTime();
    caller.tokens = Math.min(2.0 * perSecond, caller.tokens + (now - caller.lastNanos) / 1e9 * perSecond);
    caller.lastNanos = now;
    if (caller.tokens < 1) {
      long seconds = (long) Math.ceil((1 - caller.tokens) / perSecond);
      refuse(rc, Math.max(1, seconds), "more than API_RATE_LIMIT (" + perSecond + ") requests a second from this address");
      return;
    }
    caller.tokens -= 1;
    rc.next();
  }

  /** Opens the event stream if the caller holds fewer than MAX_EVENT_STREAMS (counted until it ends), else 429. */
  void stream(RoutingContext rc, Runnable open) {
    if (maxStreams == 0) {
      open.run();
      return;
    }
    Caller caller = caller(rc);
    if (caller.streams >= maxStreams) {
      refuse(rc, 5, "this address already holds MAX_EVENT_STREAMS (" + maxStreams + ") event streams");
      return;
    }
    caller.streams++;
    rc.addEndHandler(done -> caller.streams--);
    open.run();
  }

  private Caller caller(RoutingContext rc) {
    String address = rc.request().remoteAddress() == null ? "" : rc.request().remoteAddress().hostAddress();
    Caller caller = callers.get(address);
    if (caller == null) {
      if (callers.size() >= MAX_CALLERS) {
        forgetIdle();
      }
      caller = new Caller();
      caller.tokens = 2.0 * perSecond;
      caller.lastNanos = System.nanoTime();
      callers.put(address, caller);
    }
    return caller;
  }

  /** Callers with no stream whose bucket would be full by now: as if never seen. */
  private void forgetIdle() {
    long now = System.nanoTime();
    callers.values().removeIf(c -> c.streams == 0
      && (perSecond == 0 || c.tokens + (now - c.lastNanos) / 1e9 * perSecond >= 2.0 * perSecond));
  }

  private static void refuse(RoutingContext rc, long retryAfterSeconds, String why) {
    rc.response().putHeader("Retry-After", Long.toString(retryAfterSeconds));
    Problems.send(rc, ErrorCode.TOO_MANY_REQUESTS, why + "; retry in " + retryAfterSeconds + " s", null);
  }
}
