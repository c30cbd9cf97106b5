package io.silentmode.server.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A position in the agent list: the last clientId of the previous page, base64url-encoded. Ids are the list's order,
 * which heartbeats and reconnects do not move, so following the cursors sees every agent once, on any node.
 */
public final class ClientCursor {

  private ClientCursor() {
  }

  public static String encode(String clientId) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(clientId.getBytes(StandardCharsets.UTF_8));
  }

  /** Null for no cursor; IllegalArgumentException for one no server made. */
  public static String decode(String cursor) {
    return cursor == null ? null : new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
  }
}
