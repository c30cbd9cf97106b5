package io.silentmode.server.gateway;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.time.Instant;
import java.util.Locale;

/**
 * What the gateway tells about agents' identities: each enrollment to the audit log, each refused REGISTER to the
 * audit log and to the metrics ({@link Addresses#GATEWAY_AUTH_REFUSED}).
 */
final class IdentityEvents {

  private final Vertx vertx;

  IdentityEvents(Vertx vertx) {
    this.vertx = vertx;
  }

  void enrolled(SocketAddress remote, String clientId) {
    audit(remote, clientId, "agent.enrolled", null);
  }

  /** {@code claimed}: the clientId the refused REGISTER named. */
  void refused(SocketAddress remote, String claimed, ErrorCode code) {
    String reason = code.name().toLowerCase(Locale.ROOT).replaceFirst("^agent_", "");
    vertx.eventBus().publish(Addresses.GATEWAY_AUTH_REFUSED, new JsonObject().put("reason", reason)
      .put("clientId", claimed).put("remote", remote.hostAddress()));
    audit(remote, claimed, "agent.refused", code.name());
  }

  private void audit(SocketAddress remote, String clientId, String event, String reason) {
    vertx.eventBus().send(Addresses.AUDIT_RECORD, new JsonObject()
      .put("at", Instant.now().toString())
      .put("remote", remote.hostAddress())
      .put("agent", clientId)
      .put("event", event)
      .put("reason", reason));
  }
}
