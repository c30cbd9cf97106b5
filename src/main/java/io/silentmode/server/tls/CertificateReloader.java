package io.silentmode.server.tls;

import io.silentmode.server.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Watches TLS_CERT and TLS_KEY (modification time and size, every TLS_RELOAD_INTERVAL) and, once either changed and
 * then stayed the same for one look more, loads the pair again and hands it to both listeners: new connections get
 * the new certificate, without a restart. A pair that cannot be used (half written, mismatched, unreadable) is logged and the current certificate
 * kept; it is tried again when either file changes once more. Each outcome is published on
 * {@link Addresses#TLS_EVENTS}.
 */
public class CertificateReloader extends VerticleBase {

  private static final System.Logger log = System.getLogger(CertificateReloader.class.getName());

  private final Path certFile;
  private final Path keyFile;
  private final long interval;
  private final ServerTls tls;
  /** The files as last loaded (or tried), and as changed since; touched only in blocking tasks, one at a time. */
  private List<Object> loaded;
  private List<Object> changed;
  private boolean checking;

  public CertificateReloader(Path certFile, Path keyFile, long interval, ServerTls tls) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.interval = interval;
    this.tls = tls;
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> loaded = stamp()).onSuccess(v -> vertx.setPeriodic(interval, t -> check()));
  }

  private void check() {
    if (checking) {
      return;
    }
    checking = true;
    vertx.executeBlocking(this::loadIfChanged)
      .compose(next -> next == null ? Future.succeededFuture() : reload(next))
      .onFailure(this::refused)
      .onComplete(v -> checking = false);
  }

  /**
   * The pair as it is now when it changed since it was last loaded and then stayed as it is for one look more, else
   * null: the two files of a rotation are written one after the other, and a look between them would see a
   * mismatched pair.
   */
  private ServerCertificate loadIfChanged() {
    List<Object> now = stamp();
    if (now.equals(loaded)) {
      changed = null;
      return null;
    }
    if (!now.equals(changed)) {
      changed = now;
      return null;
    }
    loaded = now;
    changed = null;
    return ServerCertificate.load(certFile, keyFile);
  }

  private Future<Void> reload(ServerCertificate next) {
    String previous = tls.current().fingerprint().toString();
    return tls.update(next).onSuccess(v -> {
      log.log(System.Logger.Level.INFO, "TLS certificate reloaded on both ports: SHA-256 " + next.fingerprint()
        + " (was " + previous + "), valid until " + next.certificate().getNotAfter().toInstant());
      vertx.eventBus().publish(Addresses.TLS_EVENTS, new JsonObject().put("event", "reloaded")
        .put("fingerprint", next.fingerprint().toString()).put("previous", previous));
    });
  }

  private void refused(Throwable e) {
    log.log(System.Logger.Level.WARNING, "TLS_CERT or TLS_KEY changed but cannot be used; keeping the certificate "
      + "SHA-256 " + tls.current().fingerprint() + " until they change again: " + e.getMessage());
    vertx.eventBus().publish(Addresses.TLS_EVENTS, new JsonObject().put("event", "refused").put("error", e.getMessage()));
  }

  /** Modification time and size of both files; for a file that cannot be read (mid-rotation, say), why. */
  private List<Object> stamp() {
    return List.of(stamp(certFile), stamp(keyFile));
  }

  private static Object stamp(Path file) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return List.of(attributes.lastModifiedTime(), attributes.size());
    } catch (IOException e) {
      return e.getClass().getSimpleName();
    }
  }
}
