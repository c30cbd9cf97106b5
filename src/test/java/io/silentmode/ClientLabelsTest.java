package io.silentmode;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Agents report labels when they register; the API and the CLI pick agents by label selector, with the connected
 * filter and paging; bad labels are refused at REGISTER, bad selectors with the position of the error.
 */
@ExtendWith(VertxExtension.class)
class ClientLabelsTest {

  @TempDir
  Path dir;
  Fixture fx;
  Api api;
  Path file;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    fx = new Fixture(vertx, dir).start();
    api = fx.api();
    file = fx.randomFile("f.bin", 10);
  }

  /** Six real agents, ap-1 gone again; in clientId order: ap-1, bare, eu-1, eu-2, us-1, us-2. */
  private void fleet(Vertx vertx) {
    agent("eu-1", "region", "eu", "store", "berlin-12", "tier", "gold");
    agent("eu-2", "region", "eu", "store", "paris-3");
    agent("us-1", "region", "us", "store", "nyc-1");
    agent("us-2", "region", "us", "store", "test");
    agent("bare");
    AgentVerticle gone = agent("ap-1", "region", "ap", "store", "tokyo-1");
    Promise<Void> disconnected = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("disconnected".equals(m.body().getString("event")) && "ap-1".equals(m.body().getString("clientId"))) {
        disconnected.tryComplete();
      }
    });
    vertx.undeploy(gone.deploymentID()).await();
    disconnected.future().timeout(10, TimeUnit.SECONDS).await();
  }

  /** A real agent with these labels ({@code key, value, ...}), in this order. */
  private AgentVerticle agent(String clientId, String... labels) {
    Map<String, String> ordered = new LinkedHashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      ordered.put(labels[i], labels[i + 1]);
    }
    return fx.agent(clientId, file, c -> new AgentVerticle(c, ordered));
  }

  @Test
  void the_api_filters_by_every_operator_with_the_connected_filter_and_in_pages(Vertx vertx) {
    fleet(vertx);

    assertEquals(List.of("eu-1", "eu-2"), select("region=eu"));
    assertEquals(List.of("eu-1", "eu-2"), select("region==eu"));
    assertEquals(List.of("ap-1", "bare", "us-1", "us-2"), select("region!=eu"));
    assertEquals(List.of("ap-1", "eu-1", "eu-2"), select("region in (eu,ap)"));
    assertEquals(List.of("bare", "us-1", "us-2"), select("region notin (eu, ap)"));
    assertEquals(List.of("eu-1"), select("tier"));
    assertEquals(List.of("ap-1", "bare", "eu-2", "us-1", "us-2"), select("!tier"));
    assertEquals(List.of("us-1"), select("region=us,store!=test"));
    assertEquals(List.of("eu-2", "us-1", "us-2"), select(" region in (eu, us) , !tier "));
    assertEquals(List.of(), select("region=mars"));
    assertEquals(List.of("ap-1"), walk("region in (eu,ap)", "&connected=false", 2));
    assertEquals(List.of("bare", "us-1", "us-2"), walk("region!=eu", "&connected=true", 2));
    assertEquals(List.of("ap-1", "bare", "eu-2", "us-1", "us-2"), walk("!tier", "", 2), "pages of 2 miss none and repeat none");
    assertEquals(List.of("bare", "eu-2", "us-1", "us-2"), walk("!tier", "&connected=true", 1));

    // unencoded, as curl sends it when nothing needs escaping
    JsonObject page = api.get("listClients", "/api/v1/clients?selector=region=eu,store!=paris-3", 200);
    assertEquals(1, page.getJsonArray("items").size(), page::encode);
    assertEquals(3, api.get("listClients", "/api/v1/clients?selector=region%20in%20(eu,ap)", 200).getJsonArray("items").size(),
      "parentheses need no encoding");
    JsonObject berlin = page.getJsonArray("items").getJsonObject(0);
    assertEquals(new JsonObject().put("region", "eu").put("store", "berlin-12").put("tier", "gold"), berlin.getJsonObject("labels"));
    assertEquals(new JsonObject(), api.get("getClient", "/api/v1/clients/bare", 200).getJsonObject("labels"));
    assertEquals("tokyo-1", api.get("getClient", "/api/v1/clients/ap-1", 200).getJsonObject("labels").getString("store"),
      "an agent that left keeps its labels");
  }

  @Test
  void a_bad_selector_is_a_400_that_gives_the_position_of_the_error() {
    agent("eu-1", "region", "eu");
    for (String[] bad : new String[][] {
      {"region=", "selector: expected a label value at position 8, found the end"},
      {"region in (eu", "selector: expected ',' or ')' at position 14, found the end"},
      {"region > eu", "selector: expected '=', '==', '!=', 'in', 'notin', ',' or the end after key 'region' at position 8, found '>'"},
      {"", "selector: expected a label key at position 1, found the end"}}) {
      JsonObject p = problem(list("?selector=" + encode(bad[0])), 400, "VALIDATION_FAILED");
      assertEquals(bad[1], p.getString("detail"), p::encode);
    }
    JsonObject tooLong = problem(list("?selector=" + "k".repeat(1025)), 400, "VALIDATION_FAILED");
    assertTrue(tooLong.getString("detail").contains("selector"), tooLong::encode);
  }

  @Test
  void bad_labels_are_refused_at_register_with_validation_failed_and_1008() {
    JsonObject many = new JsonObject();
    for (int i = 0; i <= 32; i++) {
      many.put("k" + i, "v");
    }
    List<Object> refused = List.of(many, new JsonObject().put("bad key", "v"), new JsonObject().put("k", ""),
      new JsonObject().put("k", "v".repeat(64)), new JsonObject().put("k", 12), new JsonObject().put("k".repeat(64), "v"),
      "region=eu", new JsonArray().add("region=eu"));
    List<String> messages = new ArrayList<>();
    for (Object labels : refused) {
      WebSocket ws = RawAgent.connect(fx);
      Promise<String> error = Promise.promise();
      Promise<String> closed = Promise.promise();
      ws.textMessageHandler(error::tryComplete);
      ws.closeHandler(v -> closed.complete(ws.closeStatusCode() + " " + ws.closeReason()));
      ws.writeTextMessage(Protocol.register("labelled", "1", new JsonObject()).put("labels", labels).encode());
      JsonObject answer = new JsonObject(error.future().timeout(5, TimeUnit.SECONDS).await());
      assertEquals("VALIDATION_FAILED", answer.getString("code"), answer::encode);
      messages.add(answer.getString("message"));
      assertEquals("1008 VALIDATION_FAILED", closed.future().timeout(5, TimeUnit.SECONDS).await(), labels::toString);
    }
    assertEquals(List.of("at most 32 labels, got 33", "the key of label 1 must be 1-63 characters of A-Z a-z 0-9 . _ -"),
      messages.subList(0, 2));
    assertTrue(messages.get(2).startsWith("the value of label 'k' must be"), messages::toString);
    assertTrue(messages.get(6).startsWith("labels must be an object"), messages::toString);
    problem(api.call("getClient", HttpMethod.GET, "/api/v1/clients/labelled", null), 404, "CLIENT_NOT_FOUND");

    // the most a REGISTER may carry is taken, and a REGISTER without labels is too (RawAgent sends none)
    many.remove("k32");
    many.put("k0", "v".repeat(63)).put("k".repeat(63), "v");
    many.remove("k1");
    Challenged full = RawAgent.open(fx);
    full.ws().writeTextMessage(fx.prove(Protocol.register("labelled", "1", new JsonObject(), many), full.nonce()).encode());
    fx.awaitConnected("labelled");
    assertEquals(many, api.get("getClient", "/api/v1/clients/labelled", 200).getJsonObject("labels"));
    RawAgent.register(fx, "unlabelled");
    assertEquals(new JsonObject(), api.get("getClient", "/api/v1/clients/unlabelled", 200).getJsonObject("labels"));

    AgentConfig config = new AgentConfig("bad", fx.wsUrl(), file.toString(), 50, 0, 0);
    assertThrows(IllegalArgumentException.class, () -> new AgentVerticle(config, Map.of("bad key", "v")),
      "the agent refuses what the server would");
  }

  @Test
  void labels_survive_a_restart_with_the_known_agents() throws Exception {
    AgentVerticle agent = agent("eu-1", "region", "eu", "store", "berlin-12");
    fx.vertx.undeploy(agent.deploymentID()).await();
    Path clients = dir.resolve("data").resolve("clients.json");
    awaitStored(clients);
    fx.server.stop().await();
    fx.start();
    api = fx.api();

    JsonObject page = api.get("listClients", "/api/v1/clients?connected=false&selector=" + encode("store in (berlin-12)"), 200);
    assertEquals(1, page.getJsonArray("items").size(), page::encode);
    assertEquals(new JsonObject().put("region", "eu").put("store", "berlin-12"),
      page.getJsonArray("items").getJsonObject(0).getJsonObject("labels"));
  }

  @Test
  void the_cli_lists_by_selector_and_shows_the_labels(Vertx vertx) {
    fleet(vertx);
    String server = "--server=http://127.0.0.1:" + fx.server.apiPort();
    String token = "--token=" + fx.adminToken;

    assertEquals(List.of("eu-1", "eu-2"), ids(cli(0, "clients", "list", "-l", "region=eu", "--json", server, token)));
    assertEquals(List.of("ap-1"), ids(cli(0, "clients", "list", "--selector", "region in (eu, ap)", "--connected", "false",
      "--json", server, token)));
    assertEquals(List.of("us-1", "us-2"), ids(cli(0, "clients", "list", "-l", "region=us", "--page-size", "1", "--json", server, token)));

    String table = cli(0, "clients", "list", "-l", "tier", server, token);
    List<String> lines = table.lines().toList();
    assertEquals(2, lines.size(), table);
    assertTrue(lines.get(0).startsWith("CLIENT") && lines.get(0).endsWith("LABELS"), table);
    assertTrue(lines.get(1).startsWith("eu-1") && lines.get(1).endsWith(" region=eu,store=berlin-12,tier=gold"), table);
    String bare = cli(0, "clients", "list", "-l", "!region", server, token);
    assertTrue(bare.lines().skip(1).allMatch(l -> l.startsWith("bare") && l.endsWith("-")), bare);

    StringWriter err = new StringWriter();
    assertEquals(2, run(err, "clients", "list", "-l", "region in eu", server, token));
    assertTrue(err.toString().contains("VALIDATION_FAILED: selector: expected '(' at position 11"), err.toString());
  }

  @Test
  void agent_labels_from_the_environment_and_flags_reach_the_server_from_a_real_agent_process() throws Exception {
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "io.silentmode.Main", "agent",
      "--id", "proc-1", "--server", fx.wsUrl(), "--file", file.toString(),
      "--label", "store=berlin-13", "--label", "tier=gold,lane=2", "--enrollment-token", fx.enrollmentToken(),
      "--state-file", dir.resolve("proc-1.state.json").toString(), "--allow-root");
    builder.environment().put("AGENT_LABELS", "region=eu, store=berlin-12");
    builder.redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile());
    Process agent = builder.start();
    try {
      fx.awaitConnected("proc-1");
      assertEquals(new JsonObject().put("region", "eu").put("store", "berlin-13").put("tier", "gold").put("lane", "2"),
        api.get("getClient", "/api/v1/clients/proc-1", 200).getJsonObject("labels"), () -> read(dir.resolve("agent.log")));
    } finally {
      agent.destroy();
      agent.waitFor(30, TimeUnit.SECONDS);
    }

    StringWriter err = new StringWriter();
    assertEquals(2, run(err, "agent", "--id", "bad", "--server", fx.wsUrl(), "--label", "store=berlin 12"));
    assertTrue(err.toString().contains("--label: label 'store=berlin 12' must be key=value, key and value 1-63 characters"),
      err.toString());
  }

  /** The clientIds a selector picks, every page of 50. */
  private List<String> select(String selector) {
    return walk(selector, "", 50);
  }

  /** Follows nextCursor with {@code limit} and returns the clientIds in the order given. */
  private List<String> walk(String selector, String filter, int limit) {
    List<String> ids = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = api.get("listClients", "/api/v1/clients?limit=" + limit + "&selector=" + encode(selector) + filter
        + (cursor == null ? "" : "&cursor=" + cursor), 200);
      JsonArray items = page.getJsonArray("items");
      ids.addAll(ids(items));
      cursor = page.getString("nextCursor");
      if (cursor != null) {
        assertEquals(limit, items.size(), "a page before the last is full");
      }
      pages++;
    } while (cursor != null && pages < 100);
    assertNull(cursor);
    return ids;
  }

  private io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> list(String query) {
    return api.call("listClients", HttpMethod.GET, "/api/v1/clients" + query, null);
  }

  private void awaitStored(Path clients) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!Files.exists(clients) || !read(clients).contains("\"connected\":false")
      || !read(clients).contains("\"labels\":{\"region\":\"eu\",\"store\":\"berlin-12\"}")) {
      assertTrue(System.currentTimeMillis() < deadline, () -> "clients.json: " + read(clients));
      Thread.sleep(20);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "(none)";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static List<String> ids(String json) {
    return ids(new JsonArray(json));
  }

  private static List<String> ids(JsonArray items) {
    return items.stream().map(o -> ((JsonObject) o).getString("clientId")).toList();
  }

  private static String cli(int expected, String... args) {
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    assertEquals(expected, run(out, err, args), err::toString);
    return out.toString();
  }

  private static int run(StringWriter err, String... args) {
    return run(new StringWriter(), err, args);
  }

  private static int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }
}
