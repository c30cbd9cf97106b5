package io.silentmode;

import io.silentmode.agent.AgentVerticle;
import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A fleet lists in pages: every agent once, in clientId order, filtered by connected state, through the API and the CLI. */
@ExtendWith(VertxExtension.class)
class ClientsPagingTest {

  private static final int AGENTS = 36;
  private static final int GONE = 11;

  @TempDir
  Path dir;

  @Test
  void agents_list_in_pages_of_a_small_limit_without_gaps_or_repeats_and_filter_by_connected(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).start();
    Path file = fx.randomFile("f.bin", 10);
    List<AgentVerticle> agents = new ArrayList<>();
    for (int i = 0; i < AGENTS; i++) {
      agents.add(fx.agent(String.format("shop-%03d", (i * 7) % AGENTS), file));
    }
    Set<String> offline = ConcurrentHashMap.newKeySet();
    Promise<Void> allGone = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("disconnected".equals(m.body().getString("event")) && offline.add(m.body().getString("clientId")) && offline.size() == GONE) {
        allGone.complete();
      }
    });
    for (AgentVerticle agent : agents.subList(0, GONE)) {
      vertx.undeploy(agent.deploymentID()).await();
    }
    allGone.future().timeout(10, TimeUnit.SECONDS).await();

    Api api = fx.api();
    List<String> all = walk(api, "");
    assertEquals(AGENTS, all.size(), all::toString);
    assertEquals(new ArrayList<>(new TreeSet<>(all)), all, "clientId order, each once");
    List<String> down = walk(api, "&connected=false");
    assertEquals(new TreeSet<>(offline), new TreeSet<>(down));
    assertEquals(AGENTS - GONE, walk(api, "&connected=true").size());

    problem(api.call("listClients", HttpMethod.GET, "/api/v1/clients?cursor=%25%25", null), 400, "VALIDATION_FAILED");
    problem(api.call("listClients", HttpMethod.GET, "/api/v1/clients?limit=501", null), 400, "VALIDATION_FAILED");
    problem(api.call("listClients", HttpMethod.GET, "/api/v1/clients?connected=maybe", null), 400, "VALIDATION_FAILED");

    String server = "--server=http://127.0.0.1:" + fx.server.apiPort();

    String token = "--token=" + fx.adminToken;
    assertEquals(all, ids(new JsonArray(cli("clients", "list", "--json", "--page-size", "5", server, token))));
    assertEquals(down, ids(new JsonArray(cli("clients", "list", "--json", "--page-size", "4", "--connected", "false", server, token))));
  }

  /** Follows nextCursor with limit 5 and returns the clientIds in the order given. */
  private static List<String> walk(Api api, String filter) {
    List<String> ids = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = api.get("listClients", "/api/v1/clients?limit=5" + filter + (cursor == null ? "" : "&cursor=" + cursor), 200);
      JsonArray items = page.getJsonArray("items");
      ids.addAll(ids(items));
      cursor = page.getString("nextCursor");
      if (cursor != null) {
        assertEquals(5, items.size(), "a page before the last is full");
      }
      pages++;
    } while (cursor != null && pages < 100);
    assertNull(cursor);
    return ids;
  }

  private static List<String> ids(JsonArray items) {
    return items.stream().map(o -> ((JsonObject) o).getString("clientId")).toList();
  }

  private static String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = io.silentmode.Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(0, cli.execute(args), err::toString);
    return out.toString();
  }
}
