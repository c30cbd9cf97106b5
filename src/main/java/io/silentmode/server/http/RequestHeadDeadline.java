package io.silentmode.server.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

import java.util.HashMap;
import java.util.Map;

/**
 * Closes a connection that has not delivered a whole request head (an HTTP request or a WebSocket upgrade) within
 * REQUEST_HEADER_TIMEOUT of opening, or of its last answer ending: a client that connects and sends nothing, or
 * half a request, no longer holds a socket for ever (slowloris). The clock stops while a request is being
 * answered, so event streams and long downloads are never cut, and for good once a WebSocket is accepted.
 * <p>
 * One instance per server: Vert.x calls a server instance's connection, request and WebSocket handlers on its own
 * event loop, so the map needs no locking. Connections are known by their remote address, the one thing an
 * {@link HttpConnection}, a request and a {@code ServerWebSocket} all expose.
 */
public final class RequestHeadDeadline {

  private static final class Watch {
    final HttpConnection connection;
    long timer = -1;
    int answering;

    Watch(HttpConnection connection) {
      this.connection = connection;
    }
  }

  private final Vertx vertx;
  private final long millis;
  private final Map<SocketAddress, Watch> watches = new HashMap<>();

  public RequestHeadDeadline(Vertx vertx, long millis) {
    this.vertx = vertx;
    this.millis = millis;
  }

  /**
   * HTTP/1.1 only, without cleartext HTTP/2: with h2c on, Vert.x waits for a connection's first bytes (to tell
   * HTTP/1.1 from the HTTP/2 preface) before it calls the connection handler, so a silent connection would never
   * be seen. With TLS on (TLS_CERT), no ALPN is offered, so it stays HTTP/1.1 too; a connection that never
   * finishes its TLS handshake is closed by Vert.x's own handshake timeout (10 s) before this clock starts.
   */
  public static HttpServerOptions http1(HttpServerOptions options) {
    return options.setHttp2ClearTextEnabled(false);
  }

  /** The server's connection handler. */
  public void opened(HttpConnection connection) {
    SocketAddress remote = connection.remoteAddress();
    Watch watch = new Watch(connection);
    watches.put(remote, watch);
    connection.closeHandler(v -> {
      vertx.cancelTimer(watch.timer);
      watches.remove(remote);
    });
    arm(watch);
  }

  /** A request head arrived: no deadline until its answer ends. */
  public void requested(HttpServerRequest request) {
    Watch watch = watches.get(request.remoteAddress());
    if (watch == null) {
      return;
    }
    watch.answering++;
    vertx.cancelTimer(watch.timer);
    // bodyEndHandler, which nothing else here sets: vertx-web's addEndHandler and others take the one endHandler.
    request.response().bodyEndHandler(v -> {
      if (--watch.answering == 0) {
        arm(watch);
      }
    });
  }

  /** A WebSocket was accepted on the connection from {@code remote}: it is the agent's now, never timed out here. */
  public void upgraded(SocketAddress remote) {
    Watch watch = watches.remove(remote);
    if (watch != null) {
      vertx.cancelTimer(watch.timer);
    }
  }

  private void arm(Watch watch) {
    watch.timer = vertx.setTimer(millis, id -> watch.connection.close());
  }
}
