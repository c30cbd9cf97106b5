package io.silentmode.cli.operator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

@Command(name = "clients", mixinStandardHelpOptions = true, description = "The agents the server knows.",
  subcommands = {ClientsCommand.ListClients.class, ClientsCommand.Show.class, ClientsCommand.Revoke.class,
    ClientsCommand.Reenroll.class, ClientsCommand.EnrollmentToken.class},
  footer = {"", "Examples:", "  silentmode clients list", "  silentmode clients list --connected false", "  silentmode clients list -l region=eu,store!=test",
    "  silentmode clients list --enrollment revoked", "  silentmode clients show restaurant-001 --json",
    "  silentmode clients revoke restaurant-001", "  silentmode clients reenroll restaurant-001",
    "  silentmode clients enrollment-token --rotate", "", ExitCode.HELP})
public class ClientsCommand {

  @Mixin
  Global global;

  abstract static class Sub extends Subcommand {
    @ParentCommand
    ClientsCommand parent;

    @Override
    Global global() {
      return parent.global;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
    description = "Known agents in clientId order, every page of them (the API gives them 500 at a time).")
  static class ListClients extends Sub {
    @Option(names = "--connected", arity = "1", paramLabel = "true|false",
      description = "Only agents connected now (true) or only those that are not (false).")
    Boolean connected;

    @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR",
      description = "Only agents whose labels match, e.g. region=eu,store!=test or 'region in (eu,us)' (docs/API.md).")
    String selector;

    @Option(names = "--enrollment", paramLabel = "enrolled|revoked|open|none",
      description = "Only agents in this enrollment state (none: registered without enrolling, ALLOW_UNENROLLED).")
    String enrollment;

    @Option(names = "--page-size", defaultValue = "500", description = "Agents asked for per request, 1 to 500 (default ${DEFAULT-VALUE}, the API's largest page).")
    int pageSize;

    @Override
    int run() {
      if (pageSize < 1 || pageSize > 500) {
        throw new CliException(ExitCode.USAGE, "--page-size must be 1 to 500");
      }
      JsonArray items = new JsonArray();
      String cursor = null;
      do {
        JsonObject page = global().client().get("/api/v1/clients?limit=" + pageSize
          + (connected == null ? "" : "&connected=" + connected) + (selector == null ? "" : "&selector=" + query(selector))
          + (enrollment == null ? "" : "&enrollment=" + query(enrollment))
          + (cursor == null ? "" : "&cursor=" + cursor));
        items.addAll(page.getJsonArray("items"));
        cursor = page.getString("nextCursor");
      } while (cursor != null);
      if (global().json) {
        Output.json(out(), items);
      } else {
        Output.table(out(), List.of("CLIENT", "CONNECTED", "ENROLLMENT", "LAST SEEN", "ADDRESS", "VERSION", "LABELS"),
          items.stream().map(JsonObject.class::cast).toList(),
          List.<Function<JsonObject, Object>>of(c -> c.getString("clientId"), c -> c.getBoolean("connected") ? "yes" : "no",
            c -> c.getJsonObject("enrollment") == null ? "none" : c.getJsonObject("enrollment").getString("status"),
            c -> c.getString("lastSeen"), c -> c.getString("remoteAddress"), c -> c.getString("agentVersion"),
            c -> labels(c.getJsonObject("labels"))));
      }
      return ExitCode.OK;
    }

    /** A query value: spaces as %20, which every decoder reads as a space. */
    private static String query(String value) {
      return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** {@code region=eu,store=berlin-12}, as AGENT_LABELS writes them; null (a dash) when there are none. */
    private static String labels(JsonObject labels) {
      return labels == null || labels.isEmpty() ? null : labels.stream()
        .map(l -> l.getKey() + "=" + l.getValue()).collect(Collectors.joining(","));
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One agent.")
  static class Show extends Sub {
    @Parameters(paramLabel = "CLIENT_ID")
    String clientId;

    @Override
    int run() {
      JsonObject client = global().client().get("/api/v1/clients/" + clientId);
      if (global().json) {
        Output.json(out(), client);
      } else {
        Output.table(out(), List.of("FIELD", "VALUE"),
          client.fieldNames().stream().map(f -> new JsonObject().put("f", f).put("v", String.valueOf(client.getValue(f)))).toList(),
          List.<Function<JsonObject, Object>>of(r -> r.getString("f"), r -> r.getString("v")));
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
    description = "Revoke an agent: disconnected at once, refused from then on until re-enrolled (admin).")
  static class Revoke extends Sub {
    @Parameters(paramLabel = "CLIENT_ID")
    String clientId;

    @Override
    int run() {
      JsonObject client = global().client().post("/api/v1/clients/" + clientId + "/revoke", null);
      if (global().json) {
        Output.json(out(), client);
      } else {
        out().println("Revoked " + clientId + "; it is disconnected and may not register again (re-enroll lets it back)");
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "reenroll", mixinStandardHelpOptions = true,
    description = "Let an agent enroll again, with a new key and the enrollment token; lifts a revocation (admin).")
  static class Reenroll extends Sub {
    @Parameters(paramLabel = "CLIENT_ID")
    String clientId;

    @Override
    int run() {
      JsonObject client = global().client().post("/api/v1/clients/" + clientId + "/reenroll", null);
      if (global().json) {
        Output.json(out(), client);
      } else {
        out().println("Agent " + clientId + " may enroll again: start it with --enrollment-token (a new state file is fine)");
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "enrollment-token", mixinStandardHelpOptions = true,
    description = "Print the token new agents enroll with, or --rotate it first (admin).")
  static class EnrollmentToken extends Sub {
    @Option(names = "--rotate", description = "Replace it with a new one; enrolled agents are not affected.")
    boolean rotate;

    @Override
    int run() {
      JsonObject token = rotate ? global().client().post("/api/v1/enrollment/token/rotate", null)
        : global().client().get("/api/v1/enrollment/token");
      if (global().json) {
        Output.json(out(), token);
      } else {
        out().println(token.getString("token"));
      }
      return ExitCode.OK;
    }
  }
}
