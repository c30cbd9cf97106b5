package io.silentmode.server.http;

import io.silentmode.server.NonPublicAddresses;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Which {@code callbackUrl}s the server will POST to. Parsed with {@link URI} (a hand-written parser, so no
 * regular expression can backtrack on a long value), bounded in length, and, unless ALLOW_PRIVATE_CALLBACKS is set,
 * refused when the host is a literal address the server should not reach on a client's behalf: loopback,
 * unspecified, private, shared (CGNAT), link-local (cloud metadata at 169.254.169.254), unique-local, multicast or
 * broadcast, in IPv4, IPv6 and IPv4-mapped IPv6 form ({@link NonPublicAddresses}), and {@code localhost}. A name is
 * not resolved here: what it resolves to is checked at each delivery ({@code webhook/CallbackTarget}), as DNS
 * answers change.
 */
final class CallbackUrls {

  /** Longer than any real webhook endpoint; also the contract's maxLength. */
  static final int MAX_LENGTH = 2048;

  private CallbackUrls() {
  }

  /** Why {@code url} is refused, or null when the server may POST to it. */
  static String refusal(String url, boolean allowPrivate) {
    if (url.length() > MAX_LENGTH) {
      return "is longer than " + MAX_LENGTH + " characters";
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "is not a valid URL: " + e.getReason();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return "must be an http:// or https:// URL";
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null) {
      return "must name a host (DNS name or IP address) and no user information";
    }
    if (allowPrivate) {
      return null;
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (host.equals("localhost") || host.endsWith(".localhost") || host.equals("localhost.")) {
      return "names this machine (localhost); set ALLOW_PRIVATE_CALLBACKS to allow private targets";
    }
    InetAddress address;
    try {
      address = literal(host);
    } catch (UnknownHostException e) {
      return "has a numeric host that is not a plain IPv4 address (a.b.c.d)";
    }
    String kind = address == null ? null : NonPublicAddresses.kind(address);
    if (kind != null) {
      return "points at a " + kind + " address (" + host + "); set ALLOW_PRIVATE_CALLBACKS to allow private targets";
    }
    return null;
  }

  /**
   * The address a literal host stands for, without any lookup; null for a DNS name. A host whose last label is
   * numeric is no DNS name (no top-level domain is numeric), so it must be a plain dotted quad: forms such as
   * {@code 127.1}, {@code 2130706433} or {@code 0x7f.0.0.1}, which some resolvers read as addresses, are refused.
   */
  private static InetAddress literal(String host) throws UnknownHostException {
    if (host.startsWith("[")) {
      return InetAddress.getByName(host.substring(1, host.length() - 1));
    }
    String last = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    last = last.substring(last.lastIndexOf('.') + 1);
    if (last.isEmpty() || !(Character.isDigit(last.charAt(0)))) {
      return null;
    }
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      throw new UnknownHostException(host);
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
        || part.length() > 1 && part.charAt(0) == '0' || Integer.parseInt(part) > 255) {
        throw new UnknownHostException(host);
      }
    }
    return InetAddress.getByName(host);
  }
}
