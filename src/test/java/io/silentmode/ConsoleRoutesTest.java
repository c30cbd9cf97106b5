package io.silentmode;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's static routes (outside the contract) and the one operation it adds, {@code GET /whoami}: what the
 * page is served with, what it is not, and who the single API_TOKEN is.
 */
@ExtendWith(VertxExtension.class)
class ConsoleRoutesTest {

  private static final String TOKEN = "console-token";

  @TempDir
  Path dir;

  @Test
  void the_console_comes_from_the_jar_with_a_same_origin_policy_and_the_root_leads_to_it(Vertx vertx) {
    Api api = new Fixture(vertx, dir).with(c -> c.setApiToken(TOKEN)).start().api();
    for (String path : new String[] {"/", "/console"}) {
      HttpResponse<Buffer> redirect = api.web.get(path).followRedirects(false).send().await();
      assertEquals(302, redirect.statusCode(), path);
      assertEquals("/console/", redirect.getHeader("Location"), path);
    }
    // The page and its modules need no token: they hold nothing; the API behind them does.
    HttpResponse<Buffer> page = api.web.get("/console/").send().await();
    assertEquals(200, page.statusCode());
    assertTrue(page.getHeader("Content-Type").startsWith("text/html"), page.getHeader("Content-Type"));
    String csp = page.getHeader("Content-Security-Policy");
    assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("connect-src 'self'")
      && csp.contains("frame-ancestors 'none'"), csp);
    assertFalse(csp.contains("unsafe-inline") || csp.contains("http"), csp);
    assertEquals("nosniff", page.getHeader("X-Content-Type-Options"));
    assertEquals("DENY", page.getHeader("X-Frame-Options"));
    assertEquals("no-cache", page.getHeader("Cache-Control"));
    assertFalse(page.bodyAsString().contains("<script>"), "no inline script");
    HttpResponse<Buffer> module = api.web.get("/console/app.js").send().await();
    assertEquals(200, module.statusCode());
    assertTrue(module.getHeader("Content-Type").startsWith("text/javascript"), module.getHeader("Content-Type"));
    assertEquals(csp, module.getHeader("Content-Security-Policy"));
  }

  @Test
  void the_console_lists_no_directory_reads_only_its_own_files_and_takes_only_get(Vertx vertx) {
    Api api = new Fixture(vertx, dir).start().api();
    problem(api.web.get("/console/nothing-here.js").send().await(), 404, "NOT_FOUND");
    // Out of console/ by dot-segments: the normal path is /openapi.yaml, which is no route.
    problem(api.web.get("/console/%2e%2e/openapi.yaml").send().await(), 404, "NOT_FOUND");
    problem(api.web.get("/console/..%2Fopenapi.yaml").send().await(), 404, "NOT_FOUND");
    for (String path : new String[] {"/", "/console", "/console/", "/console/app.js"}) {
      HttpResponse<Buffer> post = api.web.post(path).send().await();
      problem(post, 405, "METHOD_NOT_ALLOWED");
      assertEquals("GET, HEAD", post.getHeader("Allow"), path);
      assertTrue(api.web.head(path).followRedirects(false).send().await().statusCode() < 400, path);
    }
  }
}
