package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

@Command(name = "clients", mixinStandardHelpOptions = true, description = "The agents the server knows.",
  subcommands = {ClientsCommand.List.class, ClientsCommand.Show.class},
  footer = {"", "Examples:", "  silentmode clients list", "  silentmode clients show restaurant-001 --json", "", ExitCode.HELP})
public class ClientsCommand {

  @Mixin
  Global global;

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Connected agents first, then recently seen ones.")
  static class List implements Callable<Integer> {
    @ParentCommand
    ClientsCommand parent;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return Output.run(spec.commandLine().getErr(), () -> {
        JsonObject page = parent.global.client().get("/api/v1/clients");
        if (parent.global.json) {
          Output.json(spec.commandLine().getOut(), page.getJsonArray("items"));
        } else {
          Output.table(spec.commandLine().getOut(), java.util.List.of("CLIENT", "CONNECTED", "LAST SEEN", "ADDRESS", "VERSION"),
            page.getJsonArray("items").stream().map(JsonObject.class::cast).toList(),
            java.util.List.<Function<JsonObject, Object>>of(c -> c.getString("clientId"), c -> c.getBoolean("connected") ? "yes" : "no",
              c -> c.getString("lastSeen"), c -> c.getString("remoteAddress"), c -> c.getString("agentVersion")));
        }
        return ExitCode.OK;
      });
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One agent.")
  static class Show implements Callable<Integer> {
    @ParentCommand
    ClientsCommand parent;
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "CLIENT_ID")
    String clientId;

    @Override
    public Integer call() {
      return Output.run(spec.commandLine().getErr(), () -> {
        JsonObject client = parent.global.client().get("/api/v1/clients/" + clientId);
        if (parent.global.json) {
          Output.json(spec.commandLine().getOut(), client);
        } else {
          Output.table(spec.commandLine().getOut(), java.util.List.of("FIELD", "VALUE"),
            client.fieldNames().stream().map(f -> new JsonObject().put("f", f).put("v", String.valueOf(client.getValue(f)))).toList(),
            java.util.List.<Function<JsonObject, Object>>of(r -> r.getString("f"), r -> r.getString("v")));
        }
        return ExitCode.OK;
      });
    }
  }
}
