package io.silentmode.server.enrollment;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Owns the enrollment token (a worker: it lives in a file): shows it, rotates it and checks the one a new agent
 * presents. Agents' keys are the registry's; this verticle knows nothing of them.
 */
public class EnrollmentVerticle extends VerticleBase {

  private final EnrollmentToken token;

  public EnrollmentVerticle(ServerConfig config) {
    this.token = new EnrollmentToken(Path.of(config.dataDir()));
  }

  @Override
  public Future<?> start() throws IOException {
    token.current(); // made on first start, so an operator can read it before any agent comes
    EventBus bus = vertx.eventBus();
    return Future.all(
      bus.<JsonObject>consumer(Addresses.ENROLLMENT_TOKEN, m -> answer(m, token::current)).completion(),
      bus.<JsonObject>consumer(Addresses.ENROLLMENT_ROTATE, m -> answer(m, token::rotate)).completion(),
      bus.<JsonObject>consumer(Addresses.ENROLLMENT_CHECK, this::check).completion());
  }

  private interface Read {
    String get() throws IOException;
  }

  private static void answer(Message<JsonObject> m, Read read) {
    try {
      m.reply(new JsonObject().put("token", read.get()));
    } catch (IOException e) {
      m.fail(ErrorCode.STORAGE_ERROR.busCode(), "cannot read or write the enrollment token in DATA_DIR: " + e.getMessage());
    }
  }

  private void check(Message<JsonObject> m) {
    try {
      if (token.matches(m.body().getString("token"))) {
        m.reply(new JsonObject());
      } else {
        m.fail(ErrorCode.ENROLLMENT_REFUSED.busCode(), "the enrollment token is not this server's current one");
      }
    } catch (IOException e) {
      m.fail(ErrorCode.INTERNAL_ERROR.busCode(), "cannot read the enrollment token: " + e.getMessage());
    }
  }
}
