package io.silentmode.vertx;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Context;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.impl.MessageConsumerImpl;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.spi.cluster.ClusterManager;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The only place silentmode reaches into Vert.x's {@code internal} packages, for the chunk path
 * (docs/ARCHITECTURE.md §3), as Vert.x's own modules do. Vert.x 5 has no public API for either need:
 * <ul>
 *   <li>a WebSocket's Netty pipeline: the gateway reads frames there with its own decoder, and the agent writes the
 *   frames it has already masked there, below Vert.x's WebSocket, which would copy, frame and mask them again;</li>
 *   <li>running a handler on a context now, on the thread that is already the context's event loop: what Vert.x
 *   does for its own handlers. {@link Context#runOnContext} would queue it behind whatever the event loop does next,
 *   so a message could reach the gateway after the close frame that followed it;</li>
 *   <li>resolving a name as the HTTP client will (same resolver, hosts file and options), to check the addresses
 *   before connecting to one of them;</li>
 *   <li>dropping quietly the messages that reach a consumer as it unregisters: Vert.x logs each as a warning, and the
 *   gateway's consumer for a connection that closed has nothing to do with a request for the agent still on its
 *   way.</li>
 *   <li>the cluster manager of a clustered Vertx, for the membership of the cluster (who left), which Vert.x keeps to
 *   itself.</li>
 * </ul>
 * Checked against Vert.x 5.0.10; a Vert.x upgrade that changes them breaks only this class.
 */
public final class VertxInternals {

  private VertxInternals() {
  }

  /** The Netty handler context of Vert.x's own handler in {@code ws}'s pipeline. */
  public static ChannelHandlerContext pipelineOf(WebSocketBase ws) {
    return ((WebSocketInternal) ws).channelHandlerContext();
  }

  /** Runs each task at once on {@code context}, from a thread that is that context's event loop. */
  public static Executor emitter(Context context) {
    ContextInternal internal = (ContextInternal) context;
    return task -> internal.emit(v -> task.run());
  }

  /** {@code consumer} drops, without a warning, what reaches it while or after it unregisters. */
  public static <T> MessageConsumer<T> quietWhenGone(MessageConsumer<T> consumer) {
    ((MessageConsumerImpl<T>) consumer).discardHandler(m -> { });
    return consumer;
  }

  /** The cluster manager of {@code vertx}, or null when it is not clustered. */
  public static ClusterManager clusterManager(Vertx vertx) {
    return ((VertxInternal) vertx).clusterManager();
  }

  /** Every address {@code host} resolves to, by Vert.x's own resolver. */
  public static Future<List<InetAddress>> resolveAll(Vertx vertx, String host) {
    Promise<List<InetSocketAddress>> resolved = Promise.promise();
    ((VertxInternal) vertx).nameResolver().resolveAll(host, resolved::handle);
    return resolved.future().map(all -> all.stream().map(InetSocketAddress::getAddress).toList());
  }
}
