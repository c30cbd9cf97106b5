package io.silentmode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Samples of a Prometheus text scrape, as tests read them. */
final class PromText {

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private PromText() {
  }

  record Sample(String name, Map<String, String> labels, double value) {
  }

  /** Every sample line; fails on a line that is neither a sample nor a comment. */
  static List<Sample> parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertTrue(m.matches(), "a sample line: " + line);
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
    return samples;
  }

  /** Samples of that name having the given label pairs (and maybe more labels). */
  static List<Sample> select(List<Sample> samples, String name, String... labels) {
    Predicate<Sample> match = s -> {
      for (int i = 0; i < labels.length; i += 2) {
        if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
          return false;
        }
      }
      return true;
    };
    return samples.stream().filter(s -> s.name().equals(name)).filter(match).toList();
  }

  /** The value of the one series of that name and labels; fails when there is none or more than one. */
  static double value(List<Sample> samples, String name, String... labels) {
    List<Sample> found = select(samples, name, labels);
    if (found.size() != 1) {
      fail("one series " + name + " " + String.join(",", labels) + ", found " + found);
    }
    return found.get(0).value();
  }
}
