package io.silentmode.tls;

import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.TrustOptions;

import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Locale;

/**
 * How a client of the server (the agent on {@code wss://}, the operator CLI on {@code https://}) decides whether it
 * is talking to the real server: the JVM's trust store (SERVER_CA and SERVER_FINGERPRINT unset), the CA
 * certificates of one PEM file (SERVER_CA), or one pinned certificate (SERVER_FINGERPRINT). Host names are checked
 * against the certificate except with a pin, which names the certificate itself.
 */
public final class ServerTrust {

  private static final ServerTrust SYSTEM = new ServerTrust(null, false, "the JVM's trust store");

  /** Null: the JVM's default trust managers. */
  private final X509ExtendedTrustManager manager;
  private final boolean pinned;
  private final String description;

  private ServerTrust(X509ExtendedTrustManager manager, boolean pinned, String description) {
    this.manager = manager;
    this.pinned = pinned;
    this.description = description;
  }

  /** The JVM's trust store, with host name verification. */
  public static ServerTrust system() {
    return SYSTEM;
  }

  /** From SERVER_CA and SERVER_FINGERPRINT, each null or blank when unset; at most one may be set. Reads the file. */
  public static ServerTrust of(String caFile, String fingerprint) {
    boolean ca = caFile != null && !caFile.isBlank();
    boolean pin = fingerprint != null && !fingerprint.isBlank();
    if (ca && pin) {
      throw new IllegalArgumentException("set SERVER_CA or SERVER_FINGERPRINT, not both: a pin already names the one "
        + "certificate to accept");
    }
    if (pin) {
      return pinned(Fingerprint.parse(fingerprint));
    }
    return ca ? new ServerTrust(caManager(Path.of(caFile)), false, "the CA file " + caFile) : SYSTEM;
  }

  /** Exactly the certificate with this fingerprint, whatever host name it was made for. */
  public static ServerTrust pinned(Fingerprint fingerprint) {
    return new ServerTrust(new PinnedTrustManager(fingerprint), true, "the pinned certificate " + fingerprint);
  }

  /**
   * Refuses a plain-text URL when a CA or pin was given: the operator asked for a verified server, and silently
   * speaking plain text instead would give them none.
   */
  public void requireTlsFor(String url, String secureScheme) {
    boolean secure = url.toLowerCase(Locale.ROOT).startsWith(secureScheme + "://");
    if (this != SYSTEM && !secure) {
      throw new IllegalArgumentException("the server is to be checked against " + description + ", but " + url
        + " is not " + secureScheme + "://");
    }
  }

  /**
   * The agent's WebSocket client, for {@code wss://} URLs, with {@link TlsEngine}'s engine (OpenSSL calls the trust
   * manager as the JDK's does); a {@code ws://} URL ignores it.
   */
  public WebSocketClientOptions configure(WebSocketClientOptions options) {
    if (manager != null) {
      // Not TrustOptions.wrap(TrustManager): in Vert.x 5.0.10 its factory logs through SLF4J, absent here.
      options.setTrustOptions(TrustOptions.wrap(new OneTrustManagerFactory(manager)));
    }
    return options.setVerifyHost(!pinned).setSslEngineOptions(TlsEngine.options());
  }

  /** For the JDK's HTTP client, which checks host names itself unless the trust manager is a pin. */
  public SSLContext sslContext() {
    try {
      if (manager == null) {
        return SSLContext.getDefault();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {manager}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /**
   * What went wrong when {@code failure} is a failed TLS handshake (an untrusted certificate, a wrong host name, a
   * server not speaking TLS), or null when it is something else, such as a refused connection.
   */
  public String describeFailure(Throwable failure) {
    boolean tls = false;
    Throwable root = failure;
    for (Throwable t = failure; t != null; t = t.getCause()) {
      tls |= t instanceof SSLException;
      root = t;
    }
    String why = root.getMessage() != null ? root.getMessage() : root.toString();
    return tls ? "TLS handshake failed, checked against " + description + ": " + why : null;
  }

  @Override
  public String toString() {
    return description;
  }

  /** A factory that hands out one trust manager, for Vert.x, which takes factories. */
  private static final class OneTrustManagerFactory extends TrustManagerFactory {
    OneTrustManagerFactory(TrustManager manager) {
      super(new TrustManagerFactorySpi() {
        @Override
        protected void engineInit(KeyStore keyStore) {
        }

        @Override
        protected void engineInit(ManagerFactoryParameters parameters) {
        }

        @Override
        protected TrustManager[] engineGetTrustManagers() {
          return new TrustManager[] {manager};
        }
      }, new Provider("silentmode", "1", "one trust manager") {
      }, "silentmode");
    }
  }

  private static X509ExtendedTrustManager caManager(Path file) {
    byte[] pem = SettingFile.read("SERVER_CA", file);
    try {
      Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(pem));
      if (certificates.isEmpty()) {
        throw new IllegalArgumentException("SERVER_CA " + file + " holds no certificate");
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (Certificate certificate : certificates) {
        store.setCertificateEntry("ca-" + n++, certificate);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("this JVM has no X.509 trust manager");
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("SERVER_CA " + file + " is not a PEM file of certificates: " + e.getMessage(), e);
    }
  }
}
