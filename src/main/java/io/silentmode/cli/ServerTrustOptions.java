package io.silentmode.cli;

import io.silentmode.tls.ServerTrust;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * How the agent and the operator commands verify a TLS server: the JVM's trust store unless one of these is set.
 * The same two settings for both, since both ports present the same certificate.
 */
public class ServerTrustOptions {

  @Option(names = "--server-ca", defaultValue = "${env:SERVER_CA}", scope = ScopeType.INHERIT, paramLabel = "PEM",
    description = "Trust the CA certificates of this PEM file instead of the JVM's trust store (SERVER_CA).")
  String caFile;

  @Option(names = "--server-fingerprint", defaultValue = "${env:SERVER_FINGERPRINT}", scope = ScopeType.INHERIT,
    paramLabel = "SHA-256", description = "Trust exactly the certificate with this SHA-256 fingerprint, hex with or without colons, as the server printed it (SERVER_FINGERPRINT).")
  String fingerprint;

  /** The trust for {@code url}; refuses a plain-text URL when a CA or a pin was given. Reads the CA file. */
  public ServerTrust trust(String url, String secureScheme) {
    ServerTrust trust = ServerTrust.of(caFile, fingerprint);
    trust.requireTlsFor(url, secureScheme);
    return trust;
  }
}
