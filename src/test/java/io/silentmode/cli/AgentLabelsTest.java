package io.silentmode.cli;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** AGENT_LABELS and --label add up, a flag replacing the same key; an error says which of them was wrong. */
class AgentLabelsTest {

  @Test
  void flags_add_to_the_environment_and_replace_its_keys() {
    assertEquals(Map.of("region", "eu", "store", "b", "tier", "gold"),
      AgentCommand.labels("region=eu,store=a", List.of("store=b", "tier=gold")));
    assertEquals(Map.of(), AgentCommand.labels(null, List.of()));
    assertEquals(Map.of("k", "v"), AgentCommand.labels("", List.of("k=v")));
  }

  @Test
  void an_error_names_its_source() {
    assertEquals("AGENT_LABELS: label 'region' must be key=value, key and value 1-63 characters of A-Z a-z 0-9 . _ -",
      assertThrows(IllegalArgumentException.class, () -> AgentCommand.labels("region", List.of())).getMessage());
    assertEquals("--label: label 'a b=c' must be key=value, key and value 1-63 characters of A-Z a-z 0-9 . _ -",
      assertThrows(IllegalArgumentException.class, () -> AgentCommand.labels("region=eu", List.of("x=y", "a b=c"))).getMessage());
  }
}
