package io.silentmode.server;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The addresses the server must not reach on a client's behalf (a webhook's {@code callbackUrl}): loopback,
 * unspecified, private, shared (CGNAT), link-local (cloud metadata at 169.254.169.254), unique-local, multicast,
 * broadcast and reserved, in IPv4, IPv6 and IPv4-compatible IPv6 form.
 */
public final class NonPublicAddresses {

  private NonPublicAddresses() {
  }

  /** What kind of non-public address this is, or null for a public one. */
  public static String kind(InetAddress address) {
    String kind = kindOf(address);
    return kind == null && address instanceof Inet6Address v6 && v6.isIPv4CompatibleAddress() ? kindOf(embeddedV4(v6)) : kind;
  }

  private static String kindOf(InetAddress a) {
    byte[] b = a.getAddress();
    if (a.isAnyLocalAddress() || a instanceof Inet4Address && (b[0] == 0)) {
      return "unspecified";
    }
    if (a.isLoopbackAddress()) {
      return "loopback";
    }
    if (a.isLinkLocalAddress()) {
      return "link-local";
    }
    if (a.isSiteLocalAddress() || a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc
      || a instanceof Inet4Address && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64) {
      return "private";
    }
    if (a.isMulticastAddress() || a instanceof Inet4Address && (b[0] & 0xff) >= 240) {
      return "multicast, broadcast or reserved";
    }
    return null;
  }

  /** {@code ::a.b.c.d}, the deprecated IPv4-compatible form ({@code ::ffff:a.b.c.d} arrives as IPv4 already). */
  private static InetAddress embeddedV4(Inet6Address v6) {
    byte[] b = v6.getAddress();
    try {
      return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
