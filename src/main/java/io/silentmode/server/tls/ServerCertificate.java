package io.silentmode.server.tls;

import io.silentmode.tls.Fingerprint;
import io.silentmode.tls.SettingFile;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;

import javax.net.ssl.X509KeyManager;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Collections;

/**
 * The server's certificate chain and private key, read from the PEM files TLS_CERT and TLS_KEY and checked: both
 * parse, and the key is the certificate's (a pair that does not match would start, then fail every handshake).
 * The files' contents, not their paths, go to Vert.x, so a later load of changed files is a different
 * {@link PemKeyCertOptions} and a reload takes it.
 */
public record ServerCertificate(PemKeyCertOptions keyCert, X509Certificate certificate, Fingerprint fingerprint) {

  /** Reads and checks both files; an {@link IllegalArgumentException} that says which file is wrong and how. Blocking. */
  public static ServerCertificate load(Path certFile, Path keyFile) {
    PemKeyCertOptions options = new PemKeyCertOptions()
      .setCertValue(Buffer.buffer(SettingFile.read("TLS_CERT", certFile)))
      .setKeyValue(Buffer.buffer(SettingFile.read("TLS_KEY", keyFile)));
    KeyStore store;
    X509KeyManager keys;
    try {
      store = options.loadKeyStore(null);
      keys = (X509KeyManager) options.getKeyManagerFactory(null).getKeyManagers()[0];
    } catch (Exception e) {
      throw new IllegalArgumentException("TLS_CERT " + certFile + " and TLS_KEY " + keyFile
        + " must be a PEM certificate chain and its PEM private key: " + e.getMessage(), e);
    }
    try {
      String alias = Collections.list(store.aliases()).get(0);
      X509Certificate leaf = (X509Certificate) store.getCertificate(alias);
      PrivateKey key = keys.getPrivateKey(alias);
      if (key == null || !signsFor(key, leaf)) {
        throw new IllegalArgumentException("TLS_KEY " + keyFile + " is not the private key of the certificate in TLS_CERT "
          + certFile);
      }
      return new ServerCertificate(options, leaf, Fingerprint.of(leaf));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("TLS_CERT " + certFile + " and TLS_KEY " + keyFile + " cannot be used: "
        + e.getMessage(), e);
    }
  }

  /** Whether a signature made with {@code key} verifies with the certificate's public key. */
  private static boolean signsFor(PrivateKey key, X509Certificate certificate) throws GeneralSecurityException {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> throw new IllegalArgumentException("TLS_KEY is a " + key.getAlgorithm() + " key; RSA and EC keys are supported");
    };
    byte[] probe = new byte[32];
    new SecureRandom().nextBytes(probe);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    try {
      verifier.initVerify(certificate.getPublicKey());
    } catch (java.security.InvalidKeyException e) {
      return false; // an RSA key with an EC certificate, say
    }
    verifier.update(probe);
    return verifier.verify(signature);
  }
}
