package io.silentmode.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code server --self-signed}: a certificate and key made once in DATA_DIR and reused after, so agents can pin its
 * fingerprint for good. Made by the JDK's own {@code keytool} (EC P-256, ten years, the server's host names as
 * subject alternative names) and turned into the same PEM files TLS_CERT and TLS_KEY take: no library and no
 * JDK-internal class for it.
 */
public final class SelfSignedCertificate {

  public static final String CERT_FILE = "tls-self-signed.crt";
  public static final String KEY_FILE = "tls-self-signed.key";
  private static final System.Logger log = System.getLogger(SelfSignedCertificate.class.getName());
  private static final String ALIAS = "silentmode";
  private static final String PASSWORD_VARIABLE = "SILENTMODE_KEYSTORE_PASSWORD";

  private SelfSignedCertificate() {
  }

  /** Makes {@link #CERT_FILE} and {@link #KEY_FILE} in {@code dataDir} unless they are there already. Blocking. */
  public static void ensure(Path dataDir, String host) throws IOException {
    Path cert = dataDir.resolve(CERT_FILE);
    Path key = dataDir.resolve(KEY_FILE);
    if (!Files.exists(cert) || !Files.exists(key)) {
      make(cert, key, names(host));
      return;
    }
    Set<String> names = names(cert);
    if (!names.containsAll(names(host))) {
      log.log(System.Logger.Level.WARNING, cert + " was made for " + names + ", not " + host
        + ": clients checking host names will refuse it; delete it and " + key + " to make a new one");
    }
  }

  /** localhost, 127.0.0.1 and HOST unless it is a wildcard address. */
  static Set<String> names(String host) {
    Set<String> names = new LinkedHashSet<>(Set.of("localhost", "127.0.0.1"));
    if (host != null && !host.isBlank() && !host.equals("0.0.0.0") && !host.equals("::") && !host.equals("[::]")) {
      names.add(host);
    }
    return names;
  }

  private static Set<String> names(Path cert) throws IOException {
    Set<String> names = new LinkedHashSet<>();
    try (InputStream in = Files.newInputStream(cert)) {
      X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      if (certificate.getSubjectAlternativeNames() != null) {
        certificate.getSubjectAlternativeNames().forEach(entry -> names.add(String.valueOf(entry.get(1))));
      }
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the names of the self-signed certificate: " + e.getMessage(), e);
    }
    return names;
  }

  /** A new self-signed certificate for {@code names} (DNS names or IP addresses) and its key, as PEM files. */
  public static void make(Path cert, Path key, Set<String> names) throws IOException {
    Path dir = cert.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Files.createDirectories(key.toAbsolutePath().getParent());
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    String password = Base64.getEncoder().encodeToString(secret);
    Path store = Files.createTempFile(dir, ".tls-self-signed-", ".p12");
    try {
      Files.delete(store); // keytool makes the store itself and refuses an empty file
      keytool(store, password, names);
      KeyStore pkcs12 = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        pkcs12.load(in, password.toCharArray());
      }
      byte[] privateKey = pkcs12.getKey(ALIAS, password.toCharArray()).getEncoded(); // PKCS #8
      byte[] certificate = pkcs12.getCertificate(ALIAS).getEncoded();
      write(key, pem("PRIVATE KEY", privateKey), true);
      write(cert, pem("CERTIFICATE", certificate), false);
      log.log(System.Logger.Level.INFO, "Made a self-signed certificate for " + names + ": " + cert + ", " + key);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the certificate keytool made: " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(store);
    }
  }

  private static void keytool(Path store, String password, Set<String> names) throws IOException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    // A name of its own: two self-signed certificates both named CN=silentmode in one trust store would each be
    // taken for the other's issuer.
    byte[] id = new byte[8];
    new SecureRandom().nextBytes(id);
    String serial = HexFormat.of().formatHex(id);
    StringBuilder san = new StringBuilder();
    for (String name : names) {
      san.append(san.isEmpty() ? "SAN=" : ",").append(name.matches("[0-9.]+") || name.contains(":") ? "ip:" : "dns:").append(name);
    }
    // The password goes through the environment, not the command line, which other users can read.
    ProcessBuilder builder = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", ALIAS, "-keyalg", "EC",
      "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-validity", "3650", "-dname", "CN=silentmode " + serial,
      "-ext", san.toString(), "-storetype", "PKCS12", "-keystore", store.toString(),
      "-storepass:env", PASSWORD_VARIABLE, "-keypass:env", PASSWORD_VARIABLE).redirectErrorStream(true);
    builder.environment().put(PASSWORD_VARIABLE, password);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IOException("--self-signed needs the JDK's keytool, not found at " + keytool
        + "; make a certificate yourself and set TLS_CERT and TLS_KEY", e);
    }
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IOException("keytool could not make the self-signed certificate: " + output);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while keytool made the self-signed certificate", e);
    }
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  /** Written aside and renamed into place, so a crash never leaves half a file that would be reused. */
  private static void write(Path file, String content, boolean secret) throws IOException {
    Path part = file.resolveSibling(file.getFileName() + ".part");
    Files.deleteIfExists(part);
    try {
      Files.createFile(part, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(part);
    }
    Files.writeString(part, content, StandardCharsets.UTF_8);
    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
