package io.silentmode.protocol;

import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An agent's labels ({@code region=eu}): what REGISTER carries and label selectors match. Keys and values have the
 * characters of client ids; both are bounded, as is their count, because the server keeps them as long as it knows
 * the agent (docs/PROTOCOL.md §6).
 */
public final class Labels {

  public static final int MAX_COUNT = 32;
  /** For keys and values alike, as Kubernetes bounds label values: enough for a store code, short in a table. */
  public static final int MAX_LENGTH = 63;
  public static final String RULE = "1-" + MAX_LENGTH + " characters of A-Z a-z 0-9 . _ -";
  private static final Pattern WORD = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");

  private Labels() {
  }

  /** Whether {@code c} may appear in a key or a value. */
  public static boolean isWordChar(char c) {
    return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-';
  }

  /** Whether {@code s} is a valid key or value. */
  public static boolean isWord(String s) {
    return WORD.matcher(s).matches();
  }

  /**
   * What is wrong with the labels of a REGISTER, or null: an object of at most {@link #MAX_COUNT} string values,
   * keys and values {@link #RULE}. Only a valid key is quoted back: the rest came from an unknown peer.
   */
  public static String problem(Object labels) {
    if (!(labels instanceof JsonObject object)) {
      return "labels must be an object of strings";
    }
    if (object.size() > MAX_COUNT) {
      return "at most " + MAX_COUNT + " labels, got " + object.size();
    }
    int n = 0;
    for (Map.Entry<String, Object> label : object) {
      n++;
      if (!isWord(label.getKey())) {
        return "the key of label " + n + " must be " + RULE;
      }
      if (!(label.getValue() instanceof String value) || !isWord(value)) {
        return "the value of label '" + label.getKey() + "' must be a string of " + RULE;
      }
    }
    return null;
  }

  /**
   * Parses {@code region=eu,store=berlin-12} (AGENT_LABELS, a {@code --label} flag) into {@code into}, a later key
   * replacing an earlier one. Blank input adds nothing.
   *
   * @throws IllegalArgumentException naming the label that is wrong
   */
  public static void parse(String text, Map<String, String> into) {
    if (text == null || text.isBlank()) {
      return;
    }
    for (String pair : text.split(",", -1)) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
      String value = eq < 0 ? "" : pair.substring(eq + 1).trim();
      if (eq < 0 || !isWord(key) || !isWord(value)) {
        throw new IllegalArgumentException("label '" + pair + "' must be key=value, key and value " + RULE);
      }
      into.put(key, value);
    }
    if (into.size() > MAX_COUNT) {
      throw new IllegalArgumentException("at most " + MAX_COUNT + " labels, got " + into.size());
    }
  }

  /** The labels as REGISTER carries them, in the order given. */
  public static JsonObject toJson(Map<String, String> labels) {
    return new JsonObject(new LinkedHashMap<String, Object>(labels));
  }
}
