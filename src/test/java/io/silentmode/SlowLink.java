package io.silentmode;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;

/**
 * A TCP proxy on loopback in front of the server's WebSocket port that carries what agents send at a set rate, as
 * a slow uplink does, and what the server sends as fast as it comes. Its receive buffer is small, so that what an
 * agent sends backs up in the agent's own socket and Netty buffers, not in this proxy's kernel buffer.
 */
final class SlowLink {

  private final NetServer server;

  private SlowLink(NetServer server) {
    this.server = server;
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
    return new SlowLink(server);
  }

  String url() {
    return "ws://127.0.0.1:" + server.actualPort();
  }

  Future<Void> close() {
    return server.close();
  }
}
