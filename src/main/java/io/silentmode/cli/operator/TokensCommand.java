package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.function.Function;

@Command(name = "tokens", mixinStandardHelpOptions = true,
  description = "API tokens and their roles: viewer (reads), operator (also pulls, cancels, pauses, retries, fetches), admin (also tokens and agents). Needs an admin token.",
  subcommands = {TokensCommand.Create.class, TokensCommand.ListTokens.class, TokensCommand.Revoke.class, TokensCommand.WhoAmI.class},
  footer = {"", "Examples:", "  silentmode tokens create --role operator --name ci", "  silentmode tokens list",
    "  silentmode tokens revoke 0123456789abcdef", "  silentmode tokens whoami --token \"$SILENTMODE_TOKEN\"", "", ExitCode.HELP})
public class TokensCommand {

  @Mixin
  Global global;

  abstract static class Sub extends Subcommand {
    @ParentCommand
    TokensCommand parent;

    @Override
    Global global() {
      return parent.global;
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
    description = "Make a token and print its secret, the only time it is shown (the server keeps a hash). With --json, the whole record.")
  static class Create extends Sub {
    @Option(names = "--role", required = true, paramLabel = "viewer|operator|admin", description = "What the token may do.")
    String role;

    @Option(names = "--name", required = true, description = "Who or what holds it, for the list and the audit log (1-64 of A-Z a-z 0-9 . _ - and space).")
    String name;

    @Override
    int run() {
      JsonObject made = global().client().post("/api/v1/tokens", new JsonObject().put("name", name).put("role", role));
      if (global().json) {
        Output.json(out(), made);
      } else {
        out().println(made.getString("token"));
        err().println("Token " + made.getString("id") + " (" + made.getString("role") + ", " + made.getString("name")
          + "): keep the line above, it is not shown again.");
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Every token: id, name, role, when made and last used. Never a secret.")
  static class ListTokens extends Sub {
    @Override
    int run() {
      var items = global().client().get("/api/v1/tokens").getJsonArray("items");
      if (global().json) {
        Output.json(out(), items);
      } else {
        Output.table(out(), List.of("ID", "NAME", "ROLE", "CREATED", "LAST USED"), items.stream().map(JsonObject.class::cast).toList(),
          List.<Function<JsonObject, Object>>of(t -> t.getString("id"), t -> t.getString("name"), t -> t.getString("role"),
            t -> t.getString("createdAt"), t -> t.getString("lastUsedAt")));
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token: refused from now on.")
  static class Revoke extends Sub {
    @Parameters(paramLabel = "TOKEN_ID", description = "The id `tokens list` shows.")
    String id;

    @Override
    int run() {
      JsonObject revoked = global().client().delete("/api/v1/tokens/" + id);
      if (global().json) {
        Output.json(out(), revoked);
      } else {
        out().println("Revoked " + revoked.getString("id") + " (" + revoked.getString("name") + ", " + revoked.getString("role") + ")");
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "whoami", mixinStandardHelpOptions = true, description = "The token this command uses: its id, name and role.")
  static class WhoAmI extends Sub {
    @Override
    int run() {
      JsonObject me = global().client().get("/api/v1/whoami");
      if (global().json) {
        Output.json(out(), me);
      } else {
        out().println((me.getString("tokenId") == null ? "-" : me.getString("tokenId")) + " "
          + (me.getString("name") == null ? "-" : me.getString("name")) + " " + me.getString("role"));
      }
      return ExitCode.OK;
    }
  }
}
