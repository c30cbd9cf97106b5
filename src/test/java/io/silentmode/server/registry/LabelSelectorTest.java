package io.silentmode.server.registry;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The selector grammar: what each operator matches, blanks, and where a broken selector breaks. */
class LabelSelectorTest {

  private static final Map<String, JsonObject> AGENTS = new LinkedHashMap<>();

  static {
    AGENTS.put("berlin", new JsonObject().put("region", "eu").put("store", "berlin-12").put("tier", "gold"));
    AGENTS.put("paris", new JsonObject().put("region", "eu").put("store", "paris-3"));
    AGENTS.put("nyc", new JsonObject().put("region", "us").put("store", "nyc-1"));
    AGENTS.put("lab", new JsonObject().put("region", "us").put("store", "test"));
    AGENTS.put("bare", new JsonObject());
    AGENTS.put("old", null); // a record from before labels
  }

  @Test
  void each_operator_matches_as_in_kubernetes() {
    assertEquals(List.of("berlin", "paris"), matching("region=eu"));
    assertEquals(List.of("berlin", "paris"), matching("region==eu"));
    assertEquals(List.of("nyc", "lab", "bare", "old"), matching("region!=eu"), "!= matches agents without the label");
    assertEquals(List.of("berlin", "paris", "nyc", "lab"), matching("region in (eu,us)"));
    assertEquals(List.of("nyc", "bare", "old"), matching("store notin (test, berlin-12, paris-3)"));
    assertEquals(List.of("berlin"), matching("tier"));
    assertEquals(List.of("paris", "nyc", "lab", "bare", "old"), matching("!tier"));
    assertEquals(List.of("nyc"), matching("region=us,store!=test"));
    assertEquals(List.of(), matching("region=eu,region=us"));
    assertEquals(List.of("paris", "nyc", "lab"), matching("  region in(eu ,us ) ,  ! tier  "));
    assertEquals(List.of("berlin"), matching("store=berlin-12,region,tier==gold"));
    assertEquals(List.of("lab"), matching("store in (test)"));
  }

  @Test
  void a_broken_selector_says_what_it_expected_and_at_which_position_from_1() {
    assertInvalid("", 1, "expected a label key at position 1, found the end");
    assertInvalid("   ", 4, "expected a label key");
    assertInvalid("region=", 8, "expected a label value at position 8, found the end");
    assertInvalid("region=eu,", 11, "expected a label key");
    assertInvalid(",region", 1, "expected a label key at position 1, found ','");
    assertInvalid("region===eu", 9, "expected a label value at position 9, found '='");
    assertInvalid("region eu", 8, "after key 'region'");
    assertInvalid("region > 5", 8, "expected '=', '==', '!=', 'in', 'notin', ',' or the end after key 'region' at position 8, found '>'");
    assertInvalid("region in eu", 11, "expected '(' at position 11, found 'e'");
    assertInvalid("region in (eu", 14, "expected ',' or ')' at position 14, found the end");
    assertInvalid("region in ()", 12, "expected a label value at position 12, found ')'");
    assertInvalid("region notin (eu,)", 18, "expected a label value");
    assertInvalid("!region=eu", 8, "expected ',' or the end at position 8, found '='");
    assertInvalid("region=e u", 10, "expected ',' or the end at position 10, found 'u'");
    assertInvalid("store=berlin/12", 13, "found '/'");
    assertInvalid("k=\u00e9", 3, "expected a label value at position 3, found U+00E9");
    assertInvalid("k".repeat(64) + "=v", 64, "a label key of at most 63 characters at position 64");
    assertInvalid("k=" + "v".repeat(70), 66, "a label value of at most 63 characters at position 66");
  }

  @Test
  void keys_and_values_of_63_characters_are_fine() {
    String key = "k".repeat(63);
    String value = "v".repeat(63);
    assertEquals(true, LabelSelector.parse(key + "=" + value).matches(new JsonObject().put(key, value)));
  }

  private static List<String> matching(String selector) {
    LabelSelector parsed = LabelSelector.parse(selector);
    return AGENTS.entrySet().stream().filter(a -> parsed.matches(a.getValue())).map(Map.Entry::getKey).toList();
  }

  private static void assertInvalid(String selector, int position, String message) {
    LabelSelector.Invalid e = assertThrows(LabelSelector.Invalid.class, () -> LabelSelector.parse(selector), selector);
    assertEquals(position, e.position(), e::getMessage);
    assertEquals(true, e.getMessage().contains(message), e::getMessage);
  }
}
