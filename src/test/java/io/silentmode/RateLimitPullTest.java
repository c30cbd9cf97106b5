package io.silentmode;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MAX_PULL_RATE and MAX_TOTAL_RATE pace the chunk requests. Only lower bounds on time are asserted: a slow machine
 * makes a pull longer, never shorter than its limit allows.
 */
@ExtendWith(VertxExtension.class)
class RateLimitPullTest {

  private static final long MIB = 1024 * 1024;

  @TempDir
  Path dir;

  @Test
  void one_pull_goes_no_faster_than_MAX_PULL_RATE_after_its_first_seconds_worth(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setMaxPullRate(MIB)).start();
    Path file = fx.randomFile("f.bin", 3 * MIB);
    fx.agent("shop", file);

    long start = System.nanoTime();
    JsonObject done = fx.pull("shop");
    double seconds = (System.nanoTime() - start) / 1e9;

    assertEquals(Fixture.sha256(file), done.getJsonObject("file").getString("sha256"));
    // 1 MiB of burst, then 2 MiB at 1 MiB/s
    assertTrue(seconds >= 1.8, "3 MiB at 1 MiB/s took " + seconds + " s");
  }

  @Test
  void pulls_together_go_no_faster_than_MAX_TOTAL_RATE(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setMaxTotalRate(MIB)).start();
    Path a = fx.randomFile("a.bin", 3 * MIB / 2);
    Path b = fx.randomFile("b.bin", 3 * MIB / 2);
    fx.agent("shop-a", a);
    fx.agent("shop-b", b);

    long start = System.nanoTime();
    JsonObject jobA = fx.startPull("shop-a", null);
    JsonObject jobB = fx.startPull("shop-b", null);
    assertEquals("completed", fx.awaitFinal(jobA).getString("status"));
    assertEquals("completed", fx.awaitFinal(jobB).getString("status"));
    double seconds = (System.nanoTime() - start) / 1e9;

    assertTrue(seconds >= 1.8, "3 MiB in all at 1 MiB/s took " + seconds + " s");
  }
}
