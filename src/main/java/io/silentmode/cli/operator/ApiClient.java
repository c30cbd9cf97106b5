package io.silentmode.cli.operator;

import io.silentmode.tls.ServerTrust;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The operator commands' view of the REST API: blocking calls (a command does one thing and exits), problem+json
 * turned into {@link CliException}s with the documented exit codes.
 */
final class ApiClient {

  private final HttpClient http;
  private final ServerTrust trust;
  private final String base;
  private final String token;

  ApiClient(String server, String token, ServerTrust trust) {
    this.base = server.replaceAll("/+$", "");
    this.token = token == null || token.isBlank() ? null : token;
    this.trust = trust;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trust.sslContext())
      .connectTimeout(Duration.ofSeconds(10)).build();
  }

  JsonObject get(String path) {
    return json(send(request(path).GET()));
  }

  JsonObject post(String path, JsonObject body) {
    return json(send(request(path).header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body.encode()))));
  }

  JsonObject delete(String path) {
    return json(send(request(path).DELETE()));
  }

  /** Saves the content to {@code target} and returns the server's ETag (the SHA-256, quoted). */
  String download(String path, Path target) {
    HttpResponse<InputStream> response = exchange(request(path).GET(), HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() != 200) {
      throw problem(response.statusCode(), readAll(response.body()));
    }
    try (InputStream in = response.body()) {
      java.nio.file.Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new CliException(ExitCode.FAILED, "could not write " + target + ": " + e.getMessage());
    }
    return response.headers().firstValue("ETag").orElse("");
  }

  /** Reads a job's Server-Sent Events, passing each event's job to {@code onEvent} until it returns true. */
  void follow(String path, Predicate<Event> onEvent) {
    HttpResponse<InputStream> response = exchange(request(path).header("Accept", "text/event-stream").GET(),
      HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() != 200) {
      throw problem(response.statusCode(), readAll(response.body()));
    }
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String name = "message";
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          if (onEvent.test(new Event(name, new JsonObject(line.substring(6))))) {
            return;
          }
          name = "message";
        }
      }
    } catch (IOException e) {
      throw unreachable(e);
    }
  }

  record Event(String name, JsonObject job) {
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    return exchange(request, HttpResponse.BodyHandlers.ofString());
  }

  private <T> HttpResponse<T> exchange(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(request.build(), handler);
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCode.FAILED, "interrupted");
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, "bad server URL '" + base + "': " + e.getMessage());
    }
  }

  private JsonObject json(HttpResponse<String> response) {
    if (response.statusCode() / 100 != 2) {
      throw problem(response.statusCode(), response.body());
    }
    try {
      return response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body());
    } catch (DecodeException e) {
      throw new CliException(ExitCode.FAILED, "the server at " + base + " did not answer JSON; is it silentmode?");
    }
  }

  private CliException problem(int status, String body) {
    String code = "HTTP_" + status;
    String detail = body;
    try {
      JsonObject problem = new JsonObject(body);
      code = problem.getString("code", code);
      detail = problem.getString("detail", body);
    } catch (DecodeException | NullPointerException e) {
      // not problem+json (a proxy's page, say): the status speaks
    }
    return new CliException(ExitCode.forStatus(status), code + ": " + detail);
  }

  private CliException unreachable(IOException e) {
    String tls = trust.describeFailure(e);
    if (tls != null) {
      return new CliException(ExitCode.UNREACHABLE, "refusing the server at " + base + ": " + tls);
    }
    String why = e instanceof ConnectException || e instanceof HttpConnectTimeoutException ? "connection refused or timed out"
      : String.valueOf(e.getMessage());
    return new CliException(ExitCode.UNREACHABLE, "cannot reach the server at " + base + " (" + why
      + "); set --server or SILENTMODE_URL");
  }

  private static String readAll(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
