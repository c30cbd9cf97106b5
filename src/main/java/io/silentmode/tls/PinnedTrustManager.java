package io.silentmode.tls;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * Trusts exactly one server certificate, the one whose SHA-256 fingerprint is pinned, and nothing else: no chain
 * building, no CA, no host name check, since the pin names the certificate itself (a self-signed one, typically).
 * An {@link X509ExtendedTrustManager}, so that the JDK calls it as it is instead of wrapping it in its own
 * host name check, which a certificate made for another name would fail.
 */
final class PinnedTrustManager extends X509ExtendedTrustManager {

  private final Fingerprint pin;

  PinnedTrustManager(Fingerprint pin) {
    this.pin = pin;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the server sent no certificate");
    }
    Fingerprint presented = Fingerprint.of(chain[0]);
    if (!pin.equals(presented)) {
      throw new CertificateException("the server's certificate has SHA-256 fingerprint " + presented
        + ", not the pinned " + pin);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a pinned server certificate authenticates servers only");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
