package io.silentmode.server.auth;

import java.util.Locale;

/**
 * What an API token may do, each role including the ones before it: {@code viewer} reads, {@code operator} also
 * pulls, cancels, pauses, resumes, retries and fetches content, {@code admin} also manages tokens and agents. The
 * role an operation needs is declared in openapi.yaml ({@code security: [{bearerToken: [operator]}]}), nowhere else.
 */
public enum Role {
  VIEWER, OPERATOR, ADMIN;

  /** Whether a token with this role may call an operation that needs {@code needed}. */
  public boolean covers(Role needed) {
    return compareTo(needed) >= 0;
  }

  /** As written in the contract and the API: lower case. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role named {@code name} (any case), or null when there is none by that name. */
  public static Role parse(String name) {
    for (Role role : values()) {
      if (role.name().equalsIgnoreCase(name)) {
        return role;
      }
    }
    return null;
  }
}
