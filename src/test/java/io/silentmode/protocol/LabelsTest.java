package io.silentmode.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The label rules both ends apply: what AGENT_LABELS may say and what a REGISTER may carry. */
class LabelsTest {

  @Test
  void agent_labels_parse_with_blanks_and_a_later_key_wins() {
    Map<String, String> labels = new LinkedHashMap<>();
    Labels.parse(" region=eu , store=berlin-12", labels);
    Labels.parse("store=berlin-13", labels);
    Labels.parse("", labels);
    Labels.parse(null, labels);
    assertEquals(Map.of("region", "eu", "store", "berlin-13"), labels);
  }

  @Test
  void a_wrong_label_is_named() {
    for (String wrong : new String[] {"region", "region=", "=eu", "region=eu,", "store=berlin 12", "k=v=w", "r\u00e9gion=eu",
      "k=" + "v".repeat(64)}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Labels.parse(wrong, new LinkedHashMap<>()), wrong);
      assertTrue(e.getMessage().contains("must be key=value"), e::getMessage);
    }
    StringBuilder many = new StringBuilder();
    for (int i = 0; i <= Labels.MAX_COUNT; i++) {
      many.append(i == 0 ? "" : ",").append("k").append(i).append("=v");
    }
    assertEquals("at most 32 labels, got 33", assertThrows(IllegalArgumentException.class,
      () -> Labels.parse(many.toString(), new LinkedHashMap<>())).getMessage());
  }

  @Test
  void a_register_may_carry_32_labels_of_63_characters_and_no_more() {
    JsonObject full = new JsonObject();
    for (int i = 0; i < Labels.MAX_COUNT; i++) {
      full.put(String.format("%063d", i), "v".repeat(63));
    }
    assertNull(Labels.problem(full));
    assertNull(Labels.problem(new JsonObject()));
    assertEquals("at most 32 labels, got 33", Labels.problem(full.copy().put("one-more", "v")));
    assertEquals("the key of label 2 must be 1-63 characters of A-Z a-z 0-9 . _ -",
      Labels.problem(new JsonObject().put("ok", "v").put("not ok", "v")));
    assertEquals("the key of label 1 must be 1-63 characters of A-Z a-z 0-9 . _ -",
      Labels.problem(new JsonObject().put("", "v")));
    for (Object value : new Object[] {"", "v".repeat(64), "a b", 5, true, null, new JsonObject(), new JsonArray()}) {
      assertEquals("the value of label 'k' must be a string of 1-63 characters of A-Z a-z 0-9 . _ -",
        Labels.problem(new JsonObject().put("k", value)), String.valueOf(value));
    }
    assertEquals("labels must be an object of strings", Labels.problem("region=eu"));
    assertEquals("labels must be an object of strings", Labels.problem(new JsonArray()));
  }
}
