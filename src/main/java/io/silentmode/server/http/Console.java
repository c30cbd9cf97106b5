package io.silentmode.server.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The web console: static HTML, CSS and JavaScript modules from the jar's {@code io/silentmode/console/} folder, at
 * {@code /console/} on the API port ({@code /} redirects there). These routes are outside the REST contract; the
 * page itself is open, and everything it shows comes from {@code /api/v1} with the operator's token.
 */
final class Console {

  static final String PATH = "/console/";
  /**
   * Vert.x looks for a relative path in the working directory before the class path: a package-like path keeps a
   * stray {@code console/} folder where the server runs from being served instead of the jar's files.
   */
  private static final String ROOT = "io/silentmode/console";

  /**
   * Same-origin only: no inline script or style, no framing, no plugins. {@code connect-src 'self'} lets the page
   * call the API and read its event streams; nothing else is fetched.
   */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
    + "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private Console() {
  }

  static void mount(Router root) {
    // A regex, since a plain "/console" route also matches "/console/" (vert.x ignores a trailing slash).
    root.routeWithRegex("/|/console").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(Console::redirect);
    StaticHandler files = StaticHandler.create(ROOT).setDirectoryListing(false).setIncludeHidden(false);
    root.route(PATH + "*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(Console::secure).handler(files);
  }

  static boolean owns(String path) {
    return path.equals("/") || path.equals("/console") || path.startsWith(PATH);
  }

  private static void redirect(RoutingContext rc) {
    rc.response().setStatusCode(302).putHeader("Location", PATH).end();
  }

  private static void secure(RoutingContext rc) {
    rc.response()
      .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
      .putHeader("X-Content-Type-Options", "nosniff")
      .putHeader("X-Frame-Options", "DENY")
      .putHeader("Referrer-Policy", "no-referrer")
      // A new server version brings a new console: revalidate rather than keep a day-old copy.
      .putHeader("Cache-Control", "no-cache");
    rc.next();
  }
}
