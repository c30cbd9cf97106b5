package io.silentmode.process;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback that agents dial instead of the server. {@link #blackHole()} is a link that dies without a
 * word, as a DSL line or a NAT table does: the proxy stops reading both sockets of every connection and drops what it
 * had read, and closes neither, so each side learns of it only by its own timeouts. New connections are refused
 * (accepted and closed) until {@link #restore()}; the black-holed ones stay dead. Optionally it carries what agents
 * send at a set rate (the agent has no throttle of its own), so that a test can act in the middle of a pull.
 */
public final class BlackHoleProxy {

  private final Vertx vertx;
  private final NetServer server;
  private final NetClient client;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile boolean refusing;
  private volatile long bytesPerSecond;

  private BlackHoleProxy(Vertx vertx, int targetPort) {
    this.vertx = vertx;
    this.client = vertx.createNetClient();
    // A small receive buffer, so that the rate holds back bytes in the agent rather than in this proxy's kernel.
    this.server = vertx.createNetServer(new NetServerOptions().setReceiveBufferSize(64 * 1024))
      .connectHandler(agent -> accept(agent, targetPort));
  }

  public static BlackHoleProxy start(Vertx vertx, int targetPort) {
    BlackHoleProxy proxy = new BlackHoleProxy(vertx, targetPort);
    proxy.server.listen(0, "127.0.0.1").await();
    return proxy;
  }

  /** Carries at most this many bytes a second from each agent to the server; 0, the default, means no limit. */
  public BlackHoleProxy throttle(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
    return this;
  }

  public String url() {
    return "ws://127.0.0.1:" + port();
  }

  public int port() {
    return server.actualPort();
  }

  /** Every open connection goes silent, both ways, for good; new ones are refused until {@link #restore()}. */
  public void blackHole() {
    refusing = true;
    links.forEach(Link::blackHole);
  }

  public void restore() {
    refusing = false;
  }

  private void accept(NetSocket agent, int targetPort) {
    if (refusing) {
      agent.close();
      return;
    }
    agent.pause();
    client.connect(targetPort, "127.0.0.1")
      .onSuccess(upstream -> links.add(new Link(agent, upstream)))
      .onFailure(e -> agent.close());
  }

  public Future<Void> close() {
    links.forEach(Link::close);
    return Future.join(server.close(), client.close()).mapEmpty();
  }

  /** One agent's connection and the proxy's own to the server. Runs on the event loop of the agent's socket. */
  private final class Link {
    private final NetSocket agent;
    private final NetSocket upstream;
    private volatile boolean dead;

    Link(NetSocket agent, NetSocket upstream) {
      this.agent = agent;
      this.upstream = upstream;
      upstream.handler(this::toAgent);
      agent.handler(this::toServer);
      agent.closeHandler(v -> closed(upstream));
      upstream.closeHandler(v -> closed(agent));
      if (refusing) {
        blackHole();
      } else {
        agent.resume();
      }
    }

    private void toAgent(Buffer data) {
      if (!dead) {
        agent.write(data);
      }
    }

    private void toServer(Buffer data) {
      if (dead) {
        return;
      }
      upstream.write(data);
      long rate = bytesPerSecond;
      if (rate > 0) {
        agent.pause(); // resumed once these bytes have had the time the rate gives them
        vertx.setTimer(Math.max(1, data.length() * 1000L / rate), t -> {
          if (!dead) {
            agent.resume();
          }
        });
      }
    }

    /** A close passes through a live link; through a dead one nothing does, a close included. */
    private void closed(NetSocket other) {
      if (!dead) {
        links.remove(this);
        other.close();
      }
    }

    void blackHole() {
      dead = true;
      agent.pause();
      upstream.pause();
    }

    void close() {
      dead = true;
      agent.close();
      upstream.close();
    }
  }
}
