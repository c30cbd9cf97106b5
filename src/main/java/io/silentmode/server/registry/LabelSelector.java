package io.silentmode.server.registry;

import io.silentmode.protocol.Labels;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A Kubernetes-style label selector: requirements joined by commas, all of which must hold. {@code k=v} and
 * {@code k==v} (has the label with this value), {@code k!=v} (has not this value, or not the label),
 * {@code k in (a,b)}, {@code k notin (a,b)} (likewise for a set), {@code k} (has the label), {@code !k} (has not).
 * Keys and values follow {@link Labels}; blanks may surround any token. A syntax error names its position, from 1.
 */
public final class LabelSelector {

  enum Op { EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, NOT_EXISTS }

  record Requirement(String key, Op op, Set<String> values) {
    boolean matches(JsonObject labels) {
      String value = labels == null ? null : labels.getString(key);
      return switch (op) {
        case EXISTS -> value != null;
        case NOT_EXISTS -> value == null;
        case EQUALS, IN -> value != null && values.contains(value);
        case NOT_EQUALS, NOT_IN -> value == null || !values.contains(value);
      };
    }
  }

  /** A selector that does not parse; the message says what was expected where. */
  public static final class Invalid extends IllegalArgumentException {
    private final int position;

    Invalid(String expected, int index, String text) {
      super(expected + " at position " + (index + 1) + ", found "
        + (index < text.length() ? describe(text.charAt(index)) : "the end"));
      this.position = index + 1;
    }

    /** From 1, in characters. */
    public int position() {
      return position;
    }

    private static String describe(char c) {
      return c > ' ' && c < 127 ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }
  }

  private final List<Requirement> requirements;

  private LabelSelector(List<Requirement> requirements) {
    this.requirements = requirements;
  }

  /** Whether every requirement holds for these labels (null: the agent has none). */
  public boolean matches(JsonObject labels) {
    for (Requirement r : requirements) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  /** @throws Invalid when {@code text} is not a selector; an empty one is not. */
  public static LabelSelector parse(String text) {
    return new Parser(text).selector();
  }

  /** Recursive descent over the characters; {@code at} is the next one to read. */
  private static final class Parser {
    private final String text;
    private int at;

    Parser(String text) {
      this.text = text;
    }

    LabelSelector selector() {
      List<Requirement> all = new ArrayList<>();
      do {
        all.add(requirement());
        blanks();
      } while (take(","));
      if (at < text.length()) {
        throw new Invalid("expected ',' or the end", at, text);
      }
      return new LabelSelector(List.copyOf(all));
    }

    private Requirement requirement() {
      blanks();
      if (take("!")) {
        blanks();
        return new Requirement(word("a label key"), Op.NOT_EXISTS, Set.of());
      }
      String key = word("a label key");
      blanks();
      if (at == text.length() || text.charAt(at) == ',') {
        return new Requirement(key, Op.EXISTS, Set.of());
      }
      if (take("==") || take("=")) {
        return new Requirement(key, Op.EQUALS, Set.of(value()));
      }
      if (take("!=")) {
        return new Requirement(key, Op.NOT_EQUALS, Set.of(value()));
      }
      int start = at;
      String operator = at < text.length() && Labels.isWordChar(text.charAt(at)) ? word("an operator") : "";
      if (operator.equals("in") || operator.equals("notin")) {
        return new Requirement(key, operator.equals("in") ? Op.IN : Op.NOT_IN, set());
      }
      throw new Invalid("expected '=', '==', '!=', 'in', 'notin', ',' or the end after key '" + key + "'", start, text);
    }

    private String value() {
      blanks();
      return word("a label value");
    }

    /** {@code (a, b, ...)}: at least one value. */
    private Set<String> set() {
      blanks();
      if (!take("(")) {
        throw new Invalid("expected '('", at, text);
      }
      Set<String> values = new LinkedHashSet<>();
      do {
        values.add(value());
        blanks();
      } while (take(","));
      if (!take(")")) {
        throw new Invalid("expected ',' or ')'", at, text);
      }
      return values;
    }

    private String word(String what) {
      int start = at;
      while (at < text.length() && Labels.isWordChar(text.charAt(at))) {
        at++;
      }
      if (at == start) {
        throw new Invalid("expected " + what, start, text);
      }
      if (at - start > Labels.MAX_LENGTH) {
        throw new Invalid(what + " of at most " + Labels.MAX_LENGTH + " characters", start + Labels.MAX_LENGTH, text);
      }
      return text.substring(start, at);
    }

    private boolean take(String token) {
      if (text.startsWith(token, at)) {
        at += token.length();
        return true;
      }
      return false;
    }

    private void blanks() {
      while (at < text.length() && (text.charAt(at) == ' ' || text.charAt(at) == '\t')) {
        at++;
      }
    }
  }
}
