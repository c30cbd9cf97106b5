package io.silentmode.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers; every JVM ships the algorithm, so its absence is a broken runtime. */
public final class Sha256 {

  private Sha256() {
  }

  public static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  public static String hex(byte[] hash) {
    return HexFormat.of().formatHex(hash);
  }
}
