package io.silentmode;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;

/**
 * A TCP proxy on loopback in front of the server's WebSocket port that carries what agents send at a set rate, as
 * a slow uplink does, and what the server sends as fast as it comes. What an agent sends faster backs up in the
 * agent's socket and Netty buffers, and some of it in this proxy (its small receive buffer, and the reads Vert.x
 * still takes after a pause).
 */
final class SlowLink {

  private final NetServer server;
  private final NetClient client;

  private SlowLink(NetServer server, NetClient client) {
    this.server = server;
    this.client = client;
  }

  static SlowLink start(Vertx vertx, int targetPort, int bytesPerSecond) {
    NetClient client = vertx.createNetClient();
    NetServer server = vertx.createNetServer(new NetServerOptions().setReceiveBufferSize(16 * 1024))
      .connectHandler(agent -> {
        agent.pause();
        client.connect(targetPort, "127.0.0.1").onSuccess(upstream -> {
          upstream.handler(agent::write);
          agent.handler(data -> {
            upstream.write(data);
            agent.pause(); // resumed once the bytes have had the time the rate gives them
            vertx.setTimer(Math.max(1, data.length() * 1000L / bytesPerSecond), t -> agent.resume());
          });
          agent.closeHandler(v -> upstream.close());
          upstream.closeHandler(v -> agent.close());
          agent.resume();
        }).onFailure(e -> agent.close());
      });
    server.listen(0, "127.0.0.1").await();
    return new SlowLink(server, client);
  }

  String url() {
    return "ws://127.0.0.1:" + server.actualPort();
  }

  Future<Void> close() {
    return Future.join(server.close(), client.close()).mapEmpty();
  }
}
