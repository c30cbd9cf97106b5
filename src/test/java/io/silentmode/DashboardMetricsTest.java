package io.silentmode;

import io.silentmode.PromText.Sample;
import io.silentmode.server.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.silentmode.PromText.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Grafana dashboard (docs/grafana/silentmode.json) and the Prometheus rules (docs/prometheus/silentmode-rules.yml)
 * query what a real server exports: every silentmode_ series they name is in a fresh server's /metrics, before any
 * pull, with the labels and label values they match on, and every recorded series they name is recorded by the
 * rules. A renamed meter, label or outcome fails here. promtool checks the rules' syntax and alerts (.ci/run).
 */
class DashboardMetricsTest {

  private static final Path DASHBOARD = Path.of("docs/grafana/silentmode.json");
  private static final Path RULES = Path.of("docs/prometheus/silentmode-rules.yml");
  /** Labels Prometheus adds to every scraped series. */
  private static final Set<String> TARGET_LABELS = Set.of("job", "instance");
  /** Series of Prometheus itself that the rules may use. */
  private static final Set<String> PROMETHEUS_SERIES = Set.of("up");
  private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
  private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
  /** Label lists of aggregations and vector matching, ranges and subqueries: no series names in them. */
  private static final Pattern NOT_NAMES = Pattern.compile(
    "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)|\\{[^}]*}|\\[[^\\]]*\\]");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(?=\\s*(\\()?)");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
    "ignoring", "group_left", "group_right", "inf", "nan");

  @TempDir
  Path dir;
  Vertx vertx;
  List<Sample> scrape;

  @BeforeEach
  void setUp() {
    vertx = Metrics.vertxBuilder("test-node").build(); // as the server runs: metrics on
    Fixture fx = new Fixture(vertx, dir).start();
    HttpResponse<Buffer> response = fx.api().web.get(Metrics.PATH).send().await();
    assertEquals(200, response.statusCode());
    scrape = parse(response.bodyAsString());
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  @Test
  void every_series_the_dashboard_and_the_rules_query_is_exported_or_recorded() throws IOException {
    Map<String, String> exprs = new LinkedHashMap<>();
    dashboardExprs(exprs);
    List<Map<String, Object>> rules = rules();
    Set<String> recorded = new HashSet<>();
    for (Map<String, Object> rule : rules) {
      String name = (String) (rule.containsKey("record") ? rule.get("record") : rule.get("alert"));
      exprs.put("rule " + name, (String) rule.get("expr"));
      if (rule.containsKey("record")) {
        recorded.add(name);
      }
    }
    assertTrue(exprs.keySet().stream().filter(k -> k.startsWith("panel")).count() >= 10, "the dashboard's queries: " + exprs);

    Set<String> used = new HashSet<>();
    for (Map.Entry<String, String> e : exprs.entrySet()) {
      String where = e.getKey() + ": " + e.getValue();
      for (String name : seriesNames(e.getValue())) {
        used.add(name);
        if (name.contains(":")) {
          assertTrue(recorded.contains(name), where + " uses " + name + ", which no rule records");
        } else if (!PROMETHEUS_SERIES.contains(name)) {
          assertTrue(name.startsWith("silentmode_"), where + " uses " + name + ", not a silentmode series");
          assertFalse(PromText.select(scrape, name).isEmpty(), where + " uses " + name + ", which /metrics lacks");
        }
      }
      assertMatchersMatch(where, e.getValue());
    }
    // What the issue asks the dashboard and alerts to show; each must be among the names used.
    for (String name : List.of("silentmode_agents_connected", "silentmode_pulls_total", "silentmode_pulls_active",
        "silentmode_pulls_queued", "silentmode_pulls_paused", "silentmode_pulled_bytes_total", "silentmode_chunk_retries_total",
        "silentmode_pull_resumes_total", "silentmode_resent_bytes_total", "silentmode_pull_duration_seconds_bucket",
        "silentmode_webhook_deliveries_total", "silentmode_download_dir_free_bytes", "silentmode_download_dir_min_free_bytes")) {
      assertTrue(used.contains(name), name + " is shown or alerted on");
    }
  }

  @Test
  void the_dashboard_asks_for_its_prometheus_and_lays_out_its_panels_without_overlap() throws IOException {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
    assertTrue(dashboard.getInteger("schemaVersion") >= 39, "a current Grafana's schema");
    assertNotNull(dashboard.getString("uid"));
    JsonObject datasource = dashboard.getJsonObject("templating").getJsonArray("list").stream().map(JsonObject.class::cast)
      .filter(v -> "datasource".equals(v.getString("type"))).findFirst().orElseThrow();
    assertEquals("datasource", datasource.getString("name"));
    assertEquals("prometheus", datasource.getString("query"));
    List<JsonObject> refs = new ArrayList<>();
    datasourceRefs(dashboard, refs);
    assertFalse(refs.isEmpty());
    for (JsonObject ref : refs) {
      if ("prometheus".equals(ref.getString("type"))) {
        assertEquals("${datasource}", ref.getString("uid"), "no fixed data source: " + ref);
      } else {
        assertEquals("grafana", ref.getString("type"), "only Grafana's built-in annotations besides: " + ref);
      }
    }

    Set<Integer> ids = new HashSet<>();
    Set<String> cells = new HashSet<>();
    for (Object p : dashboard.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) p;
      assertTrue(ids.add(panel.getInteger("id")), "unique panel id " + panel.getInteger("id"));
      JsonObject pos = panel.getJsonObject("gridPos");
      int x = pos.getInteger("x");
      int y = pos.getInteger("y");
      assertTrue(x >= 0 && x + pos.getInteger("w") <= 24, panel.getString("title") + " fits the 24 columns");
      for (int i = x; i < x + pos.getInteger("w"); i++) {
        for (int j = y; j < y + pos.getInteger("h"); j++) {
          assertTrue(cells.add(i + "," + j), panel.getString("title") + " overlaps another panel at " + i + "," + j);
        }
      }
      if (!"row".equals(panel.getString("type"))) {
        assertFalse(panel.getJsonArray("targets", new JsonArray()).isEmpty(), panel.getString("title") + " queries something");
      }
    }
  }

  @Test
  void every_alert_waits_has_a_severity_and_says_what_happened() throws IOException {
    long alerts = 0;
    for (Map<String, Object> rule : rules()) {
      if (!rule.containsKey("alert")) {
        continue;
      }
      alerts++;
      String name = (String) rule.get("alert");
      assertNotNull(rule.get("for"), name + " has a for");
      @SuppressWarnings("unchecked") Map<String, Object> labels = (Map<String, Object>) rule.get("labels");
      assertTrue(Set.of("warning", "critical").contains(labels.get("severity")), name + " severity " + labels);
      @SuppressWarnings("unchecked") Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
      assertFalse(((String) annotations.get("summary")).isBlank(), name + " summary");
      assertFalse(((String) annotations.get("description")).isBlank(), name + " description");
    }
    assertTrue(alerts >= 5, "the alerts: no agents, pulls failing, paused long, disk nearly full, and more");
  }

  /** For each selector with matchers, the series has every label it matches on, and each value matched exactly exists. */
  private void assertMatchersMatch(String where, String expr) {
    Matcher selector = SELECTOR.matcher(expr);
    while (selector.find()) {
      String name = selector.group(1);
      if (name.contains(":") || PROMETHEUS_SERIES.contains(name)) {
        continue;
      }
      List<Sample> series = PromText.select(scrape, name);
      Matcher m = MATCHER.matcher(selector.group(2));
      while (m.find()) {
        String label = m.group(1);
        if (TARGET_LABELS.contains(label)) {
          continue;
        }
        assertTrue(series.stream().allMatch(s -> s.labels().containsKey(label)), where + ": " + name + " has no label " + label);
        String value = m.group(3);
        boolean exact = m.group(2).equals("=") || m.group(2).equals("=~") && value.matches("[a-zA-Z0-9_|]+");
        if (exact) {
          for (String v : value.split("\\|")) {
            assertFalse(PromText.select(scrape, name, label, v).isEmpty(), where + ": no " + name + "{" + label + "=\"" + v + "\"}");
          }
        }
      }
    }
  }

  /** The series names of a PromQL expression (functions, keywords, labels, strings and durations left out). */
  private static Set<String> seriesNames(String expr) {
    String bare = NOT_NAMES.matcher(STRING.matcher(expr).replaceAll("\"\"")).replaceAll(" ");
    Set<String> names = new HashSet<>();
    Matcher m = IDENTIFIER.matcher(bare);
    while (m.find()) {
      boolean call = m.group(1) != null;
      boolean partOfNumber = m.start() > 0 && Character.isDigit(bare.charAt(m.start() - 1));
      if (!call && !partOfNumber && !KEYWORDS.contains(m.group().toLowerCase())) {
        names.add(m.group());
      }
    }
    return names;
  }

  private static void dashboardExprs(Map<String, String> exprs) throws IOException {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
    for (Object v : dashboard.getJsonObject("templating").getJsonArray("list")) {
      JsonObject variable = (JsonObject) v;
      if ("query".equals(variable.getString("type"))) {
        // label_values(selector, label): the selector is what must exist
        String definition = variable.getString("definition");
        exprs.put("variable " + variable.getString("name"),
          definition.replaceFirst("^label_values\\((.*),\\s*[a-zA-Z_]+\\)$", "$1"));
      }
    }
    for (Object p : dashboard.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) p;
      for (Object t : panel.getJsonArray("targets", new JsonArray())) {
        JsonObject target = (JsonObject) t;
        exprs.put("panel " + panel.getString("title") + " " + target.getString("refId"), target.getString("expr"));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> rules() throws IOException {
    Map<String, Object> file = new Yaml().load(Files.readString(RULES)); // SnakeYAML comes with vertx-openapi
    List<Map<String, Object>> rules = new ArrayList<>();
    for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
      rules.addAll((List<Map<String, Object>>) group.get("rules"));
    }
    return rules;
  }

  private static void datasourceRefs(Object node, List<JsonObject> refs) {
    if (node instanceof JsonObject o) {
      if (o.getValue("datasource") instanceof JsonObject ref) {
        refs.add(ref);
      }
      o.forEach(e -> datasourceRefs(e.getValue(), refs));
    } else if (node instanceof JsonArray a) {
      a.forEach(x -> datasourceRefs(x, refs));
    }
  }
}
