package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.function.Function;

@Command(name = "clients", mixinStandardHelpOptions = true, description = "The agents the server knows.",
  subcommands = {ClientsCommand.ListClients.class, ClientsCommand.Show.class},
  footer = {"", "Examples:", "  silentmode clients list", "  silentmode clients show restaurant-001 --json", "", ExitCode.HELP})
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

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Connected agents first, then recently seen ones.")
  static class ListClients extends Sub {
    @Override
    int run() {
      JsonObject page = global().client().get("/api/v1/clients");
      if (global().json) {
        Output.json(out(), page.getJsonArray("items"));
      } else {
        Output.table(out(), List.of("CLIENT", "CONNECTED", "LAST SEEN", "ADDRESS", "VERSION"),
          page.getJsonArray("items").stream().map(JsonObject.class::cast).toList(),
          List.<Function<JsonObject, Object>>of(c -> c.getString("clientId"), c -> c.getBoolean("connected") ? "yes" : "no",
            c -> c.getString("lastSeen"), c -> c.getString("remoteAddress"), c -> c.getString("agentVersion")));
      }
      return ExitCode.OK;
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
}
