package io.silentmode;

import io.silentmode.ClusterHarness.Node;
import io.silentmode.server.cluster.Membership;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Three real servers form a Hazelcast cluster on loopback; readiness and metrics say who is in it. */
class ClusterFormationTest {

  @TempDir
  static Path dir;
  static ClusterHarness cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = new ClusterHarness(dir, 4); // the fourth joins and leaves in a test
    for (int i = 0; i < 3; i++) {
      cluster.start(i);
    }
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void every_node_is_ready_and_sees_the_three_members() {
    for (Node node : cluster.nodes) {
      JsonObject ready = get(node, "/api/v1/health/ready").bodyAsJsonObject();
      JsonObject check = ready.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> "cluster".equals(c.getString("id"))).findFirst().orElseThrow();
      assertEquals("UP", check.getString("status"), ready.encode());
      assertEquals(node.name(), check.getJsonObject("data").getString("node"));
      assertEquals(List.of("node-1", "node-2", "node-3"), check.getJsonObject("data").getJsonArray("members").getList());
    }
  }

  @Test
  void metrics_carry_the_node_name() {
    Node node = cluster.nodes.get(1);
    String scrape = get(node, "/metrics").bodyAsString();
    assertTrue(scrape.contains("node=\"node-2\""), "no node label in the scrape");
  }

  @Test
  void a_second_node_with_a_taken_name_is_refused() throws Exception {
    try (ClusterHarness other = new ClusterHarness(dir.resolve("other"), 2)) {
      other.start(0);
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> other.start(1, c -> c.setNodeName("node-1")));
      assertTrue(refused.getMessage().contains("NODE_NAME node-1 is taken"), refused.getMessage());
    }
  }

  @Test
  void the_others_are_told_when_a_member_leaves() throws Exception {
    Node extra = cluster.start(3);
    Node watcher = cluster.nodes.get(0);
    Promise<String> left = Promise.promise();
    watcher.vertx().runOnContext(v -> Membership.of(watcher.vertx(), watcher.name()).onMemberLeft(left::tryComplete));
    cluster.stop(extra);
    assertEquals("node-4", left.future().timeout(30, TimeUnit.SECONDS).await());
    assertEquals(List.of("node-1", "node-2", "node-3"),
      List.copyOf(Membership.of(watcher.vertx(), watcher.name()).members()));
  }

  private static HttpResponse<Buffer> get(Node node, String path) {
    WebClient client = WebClient.create(node.vertx());
    try {
      return client.get(node.server().apiPort(), "127.0.0.1", path).send().await();
    } finally {
      client.close();
    }
  }
}
