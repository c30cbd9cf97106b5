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
 * presents, against a copy in memory that it reads again from the file every second, so a rotation with
 * {@code silentmode server enrollment-token --rotate} takes effect within one (the API's at once). A storm of first
 * enrollments then costs no file read each. Agents' keys are the registry's; this verticle knows nothing of them.
 */
public class EnrollmentVerticle extends VerticleBase {

  static final long REREAD_MS = 1000;

  private final EnrollmentToken token;
  private String current;

  public EnrollmentVerticle(ServerConfig config) {
    this.token = new EnrollmentToken(Path.of(config.dataDir()));
  }

  @Override
  public Future<?> start() throws IOException {
    current = token.current(); // made on first start, so an operator can read it before any agent comes
    vertx.setPeriodic(REREAD_MS, t -> reread());
    EventBus bus = vertx.eventBus();
    return Future.all(
      bus.<JsonObject>localConsumer(Addresses.ENROLLMENT_TOKEN, m -> answer(m, () -> current = token.current())).completion(),
      bus.<JsonObject>localConsumer(Addresses.ENROLLMENT_ROTATE, m -> answer(m, () -> current = token.rotate())).completion(),
      bus.<JsonObject>localConsumer(Addresses.ENROLLMENT_CHECK, this::check).completion());
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
    if (EnrollmentToken.same(current, m.body().getString("token"))) {
      m.reply(new JsonObject());
    } else {
      m.fail(ErrorCode.ENROLLMENT_REFUSED.busCode(), "the enrollment token is not this server's current one");
    }
  }

  private void reread() {
    try {
      current = token.current();
    } catch (IOException e) {
      System.getLogger(EnrollmentVerticle.class.getName()).log(System.Logger.Level.WARNING,
        "Cannot read the enrollment token; keeping the one read before: " + e.getMessage());
    }
  }
}
