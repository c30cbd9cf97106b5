package io.silentmode.tls;

import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;

/**
 * Which TLS implementation both ends use: OpenSSL (BoringSSL, from netty-tcnative's native library in the jar) when
 * it loads on this platform, else the JDK's {@code SSLEngine}. On the build VM the JDK's engine took pulls to about
 * half of plain speed (AES-GCM and record handling in Java, heap copies around it); BoringSSL's assembly makes TLS
 * close to free next to the rest of the chunk path. Both take the same key, certificate and trust managers, so
 * nothing else depends on the choice. {@code -Dio.netty.handler.ssl.noOpenSsl=true} forces the JDK's engine.
 */
public final class TlsEngine {

  private TlsEngine() {
  }

  /** Whether OpenSSL is used. */
  public static boolean openSsl() {
    return OpenSSLEngineOptions.isAvailable();
  }

  /** The engine options for a Vert.x server or client: {@link #openSsl} or the JDK's. */
  public static SSLEngineOptions options() {
    return openSsl() ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();
  }

  /** For the start line and logs: which engine, and why not OpenSSL when it is not used. */
  public static String describe() {
    if (openSsl()) {
      return "OpenSSL (" + OpenSsl.versionString() + ")";
    }
    Throwable why = OpenSsl.unavailabilityCause();
    return "the JDK's SSLEngine (OpenSSL unavailable" + (why == null ? "" : ": " + why.getMessage()) + ")";
  }
}
