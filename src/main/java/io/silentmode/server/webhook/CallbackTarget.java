package io.silentmode.server.webhook;

import io.silentmode.server.NonPublicAddresses;
import io.silentmode.vertx.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;

import java.net.InetAddress;
import java.net.URI;

/**
 * Where a webhook delivery connects. A {@code callbackUrl} was checked when the job was made, but a DNS name can
 * resolve to another address by the time of each delivery (DNS rebinding): unless ALLOW_PRIVATE_CALLBACKS is set,
 * the name is resolved here, refused if any of its addresses is not public, and the request goes to the address
 * that was checked, not to a second lookup. The URL's host still names the request (Host header, TLS SNI and
 * certificate check).
 */
final class CallbackTarget {

  private CallbackTarget() {
  }

  /** The checked address to connect to, or null to connect by name (private targets allowed). */
  static Future<SocketAddress> of(Vertx vertx, String url, boolean allowPrivate) {
    if (allowPrivate) {
      return Future.succeededFuture();
    }
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture("the callbackUrl is not a valid URL");
    }
    String host = uri.getHost();
    if (host == null) {
      return Future.failedFuture("the callbackUrl names no host");
    }
    String name = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    return VertxInternals.resolveAll(vertx, name).compose(addresses -> {
      for (InetAddress address : addresses) {
        String kind = NonPublicAddresses.kind(address);
        if (kind != null) {
          return Future.failedFuture(host + " resolves to a " + kind + " address (" + address.getHostAddress()
            + "); set ALLOW_PRIVATE_CALLBACKS to allow private targets");
        }
      }
      return addresses.isEmpty() ? Future.failedFuture(host + " resolves to no address")
        : Future.succeededFuture(SocketAddress.inetSocketAddress(port, addresses.get(0).getHostAddress()));
    });
  }
}
