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
 * metrics ({@link Addresses#GATEWAY_AUTH_REFUSED}) and to the audit log. Refusals cost an outsider one connection
 * each, and every audit record is forced to disk: past {@link #AUDITED_PER_SECOND} a second they are counted in one
 * record a second later instead, so a flood of them can neither fill the disk nor queue the operators' records.
 */
final class IdentityEvents {

  static final int AUDITED_PER_SECOND = 20;

  private final Vertx vertx;
  private long second;
  private int audited;
  private int suppressed;

  IdentityEvents(Vertx vertx) {
    this.vertx = vertx;
  }

  void enrolled(SocketAddress remote, String clientId) {
    audit(record(remote, clientId, "agent.enrolled", null));
  }

  /** {@code claimed}: the clientId the refused REGISTER named. */
  void refused(SocketAddress remote, String claimed, ErrorCode code) {
    String reason = code.name().toLowerCase(Locale.ROOT).replaceFirst("^agent_", "");
    vertx.eventBus().publish(Addresses.GATEWAY_AUTH_REFUSED, new JsonObject().put("reason", reason)
      .put("clientId", claimed).put("remote", remote.hostAddress()));
    long now = System.currentTimeMillis() / 1000;
    if (now != second) {
      second = now;
      audited = 0;
    }
    if (audited++ < AUDITED_PER_SECOND) {
      audit(record(remote, claimed, "agent.refused", code.name()));
    } else if (suppressed++ == 0) {
      vertx.setTimer(1000, t -> {
        audit(new JsonObject().put("at", Instant.now().toString()).put("event", "agent.refused").put("suppressed", suppressed));
        suppressed = 0;
      });
    }
  }

  private static JsonObject record(SocketAddress remote, String clientId, String event, String reason) {
    return new JsonObject()
      .put("at", Instant.now().toString())
      .put("remote", remote.hostAddress())
      .put("agent", clientId)
      .put("event", event)
      .put("reason", reason);
  }

  private void audit(JsonObject record) {
    vertx.eventBus().send(Addresses.AUDIT_RECORD, record);
  }
}
