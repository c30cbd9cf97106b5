package io.silentmode;

import io.silentmode.agent.Swarm;
import io.silentmode.server.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fleet benchmark's load generator against a real server: many agents from one JVM, on several source addresses. */
@ExtendWith(VertxExtension.class)
class SwarmTest {

  @TempDir
  Path dir;
  Fixture fx;
  Api api;
  Swarm swarm;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).start();
    api = fx.api();
  }

  @AfterEach
  void tearDown() {
    if (swarm != null) {
      swarm.close().await();
    }
  }

  @Test
  void fifty_agents_register_and_list_as_connected_and_the_serving_one_serves_a_pull_byte_identical(Vertx vertx)
    throws Exception {
    Path file = fx.randomFile("served.bin", 20L * Fixture.CHUNK + 7);
    // 20 agents per source address: the agents dial from 127.0.0.1, 127.0.0.2 and 127.0.0.3.
    swarm = new Swarm(vertx, new Swarm.Settings(50, fx.wsUrl(), "s-", 1, file.toString(), 50, 0, 20, fx.enrollmentToken()));
    swarm.start().await();
    awaitTrue(() -> connected() == 50, "50 agents listed as connected");
    assertEquals(49, swarm.counters().registered());

    JsonObject done = api.pull("s-0");
    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(file), done.getJsonObject("file").getString("sha256"));
    assertEquals(Fixture.sha256(file), Fixture.sha256(Path.of(done.getJsonObject("file").getString("path"))));
    JsonObject refused = api.pull("s-1");
    assertEquals("FILE_NOT_FOUND", refused.getJsonObject("error").getString("code"), refused::encode);
  }

  /**
   * The registry used to send the store every known agent on every REGISTER: a storm of N agents copied N²/2
   * records over the bus, and 1,000 agents ran a 256 MiB server heap out of memory.
   */
  @Test
  void a_storm_of_registrations_writes_the_known_agents_a_few_times_not_once_per_agent(Vertx vertx) throws Exception {
    AtomicLong copied = new AtomicLong();
    vertx.eventBus().addOutboundInterceptor((DeliveryContext<Object> delivery) -> {
      if (Addresses.STORE_CLIENT_SAVE.equals(delivery.message().address())) {
        copied.addAndGet(((JsonObject) delivery.body()).getJsonArray("clients").size());
      }
      delivery.next();
    });
    int agents = 400;
    swarm = new Swarm(vertx, new Swarm.Settings(agents, fx.wsUrl(), "storm-", 0, null, 50, 0, 10_000, fx.enrollmentToken()));
    swarm.start().await();
    awaitTrue(() -> swarm.counters().registered() == agents, agents + " agents registered");
    assertTrue(copied.get() < 10L * agents, "records copied to the store: " + copied.get());
  }

  private long connected() throws Exception {
    JsonArray items = api.get("listClients", "/api/v1/clients?connected=true&limit=500", 200).getJsonArray("items");
    return items.size();
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  /** Polls until the check holds, for at most 20 s. */
  private static void awaitTrue(Check check, String what) throws Exception {
    long deadline = System.currentTimeMillis() + 20_000;
    while (!check.holds()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("not within 20 s: " + what);
      }
      Thread.sleep(50);
    }
  }
}
