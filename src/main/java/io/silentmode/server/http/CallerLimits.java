package io.silentmode.server.http;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.auth.Identity;
import io.vertx.ext.web.RoutingContext;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The API's limits per caller: API_RATE_LIMIT requests a second, in a token bucket that allows bursts of twice
 * that, and MAX_EVENT_STREAMS event streams open at once. A caller is the token a request was authenticated with
 * (or API_TOKEN); a request without a valid token (refused, or with a signed link) is charged to its remote address,
 * what a client cannot choose at will, unlike a token id it makes up. Beyond either limit the answer is 429
 * TOO_MANY_REQUESTS with {@code Retry-After}. The table of callers is bounded too: when it is full, the callers whose
 * buckets are full again (idle for a while) are forgotten. One instance per API server, on its event loop.
 */
final class CallerLimits {

  private static final int MAX_CALLERS = 10_000;

  private static final class Caller {
    double tokens;
    long lastNanos;
    /** The event streams it holds open, so a revoked token's streams can be cut. */
    final Set<RoutingContext> streams = new HashSet<>();
  }

  private final int perSecond;
  private final int maxStreams;
  private final Map<String, Caller> callers = new HashMap<>();

  CallerLimits(int perSecond, int maxStreams) {
    this.perSecond = perSecond;
    this.maxStreams = maxStreams;
  }

  /** The caller a request authenticated as {@code identity} is counted as. */
  static String byIdentity(Identity identity, RoutingContext rc) {
    if (identity.tokenId() != null) {
      return byTokenId(identity.tokenId());
    }
    return identity == Identity.BOOTSTRAP ? "API_TOKEN" : byAddress(rc);
  }

  static String byTokenId(String tokenId) {
    return "token " + tokenId;
  }

  /** A request without a valid token is counted against its remote address. */
  static String byAddress(RoutingContext rc) {
    return "address " + (rc.request().remoteAddress() == null ? "" : rc.request().remoteAddress().hostAddress());
  }

  /** Runs {@code then} if {@code caller} has a request left this second, else answers 429. */
  void admit(RoutingContext rc, String caller, Runnable then) {
    if (perSecond == 0) {
      then.run();
      return;
    }
    Caller c = caller(caller);
    long now = System.nanoTime();
    c.tokens = Math.min(2.0 * perSecond, c.tokens + (now - c.lastNanos) / 1e9 * perSecond);
    c.lastNanos = now;
    if (c.tokens < 1) {
      long seconds = (long) Math.ceil((1 - c.tokens) / perSecond);
      refuse(rc, "rate_limited", Math.max(1, seconds), "more than API_RATE_LIMIT (" + perSecond + ") requests a second from this "
        + (caller.startsWith("address ") ? "address" : "token"));
      return;
    }
    c.tokens -= 1;
    then.run();
  }

  /**
   * Opens the event stream if the request's caller (its token, see {@link #byIdentity}) holds fewer than
   * MAX_EVENT_STREAMS (counted until it ends), else 429.
   */
  void stream(RoutingContext rc, Runnable open) {
    Identity identity = rc.get(BearerToken.IDENTITY);
    Caller caller = caller(identity == null ? byAddress(rc) : byIdentity(identity, rc));
    if (maxStreams > 0 && caller.streams.size() >= maxStreams) {
      refuse(rc, "too_many_streams", 5, "this token already holds MAX_EVENT_STREAMS (" + maxStreams + ") event streams");
      return;
    }
    caller.streams.add(rc);
    rc.addEndHandler(done -> caller.streams.remove(rc));
    open.run();
  }

  /**
   * Closes the connections of the event streams {@code caller} holds, as when its token is revoked: a stream is
   * authorised once, when it opens, and its client's reconnection then meets the revocation.
   */
  void closeStreams(String caller) {
    Caller c = callers.get(caller);
    if (c != null) {
      List.copyOf(c.streams).forEach(rc -> rc.request().connection().close());
    }
  }

  private Caller caller(String key) {
    Caller caller = callers.get(key);
    if (caller == null) {
      if (callers.size() >= MAX_CALLERS) {
        forgetIdle();
      }
      caller = new Caller();
      caller.tokens = 2.0 * perSecond;
      caller.lastNanos = System.nanoTime();
      callers.put(key, caller);
    }
    return caller;
  }

  /** Callers with no stream whose bucket would be full by now: as if never seen. */
  private void forgetIdle() {
    long now = System.nanoTime();
    callers.values().removeIf(c -> c.streams.isEmpty()
      && (perSecond == 0 || c.tokens + (now - c.lastNanos) / 1e9 * perSecond >= 2.0 * perSecond));
  }

  private static void refuse(RoutingContext rc, String reason, long retryAfterSeconds, String why) {
    rc.put(AuditTrail.REFUSED, reason);
    rc.response().putHeader("Retry-After", Long.toString(retryAfterSeconds));
    Problems.send(rc, ErrorCode.TOO_MANY_REQUESTS, why + "; retry in " + retryAfterSeconds + " s", null);
  }
}
