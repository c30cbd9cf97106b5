package io.silentmode.tls;

import io.silentmode.protocol.Sha256;

import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * A certificate's SHA-256 fingerprint: the hash of its DER encoding, as {@code openssl x509 -fingerprint -sha256}
 * and browsers show it. Written as upper-case hex pairs joined by colons; read with or without the colons.
 */
public record Fingerprint(byte[] sha256) {

  private static final HexFormat PAIRS = HexFormat.ofDelimiter(":").withUpperCase();

  public static Fingerprint of(X509Certificate certificate) {
    try {
      return new Fingerprint(Sha256.digest().digest(certificate.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("the certificate cannot be encoded: " + e.getMessage(), e);
    }
  }

  /** {@code text} as an operator gives it: 64 hex digits, colons between pairs allowed, any case. */
  public static Fingerprint parse(String text) {
    String hex = text.strip().replace(":", "");
    if (!hex.matches("[0-9A-Fa-f]{64}")) {
      throw new IllegalArgumentException("a SHA-256 fingerprint is 64 hex digits (colons between pairs allowed), got '"
        + text + "'");
    }
    return new Fingerprint(HexFormat.of().parseHex(hex));
  }

  public boolean matches(X509Certificate certificate) {
    return MessageDigest.isEqual(sha256, of(certificate).sha256);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Fingerprint other && MessageDigest.isEqual(sha256, other.sha256);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(sha256);
  }

  @Override
  public String toString() {
    return PAIRS.formatHex(sha256);
  }
}
