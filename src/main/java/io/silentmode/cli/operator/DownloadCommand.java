package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

@Command(name = "download", mixinStandardHelpOptions = true,
  description = "Pull a file from an agent and follow it live (progress on stderr, the result on stdout).",
  footer = {"", "Examples:", "  silentmode download restaurant-001",
    "  silentmode download restaurant-001 --output today.txt   # also fetch it and check its SHA-256 here",
    "  silentmode download restaurant-001 --no-wait --json     # print the job and return at once", "", ExitCode.HELP})
public class DownloadCommand extends Subcommand {

  @Mixin
  Global global;

  @Parameters(paramLabel = "CLIENT_ID", description = "The agent to pull from.")
  String clientId;

  @Option(names = "--path", description = "The file on the agent (default: the agent's FILE_PATH).")
  String path;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Fetch the pulled file to FILE and check its SHA-256.")
  Path output;

  @Option(names = "--no-wait", description = "Start the pull, print the job and return without following it.")
  boolean noWait;

  @Option(names = "--priority", paramLabel = "PRIORITY", description = "high, normal (default) or low: which waiting pulls start first.")
  String priority;

  @Override
  Global global() {
    return global;
  }

  @Override
  int run() {
    ApiClient api = global.client();
    JsonObject request = new JsonObject().put("clientId", clientId);
    if (path != null) {
      request.put("path", path);
    }
    if (priority != null) {
      request.put("priority", priority);
    }
    JsonObject job = api.post("/api/v1/downloads", request);
    if (noWait) {
      return Jobs.report(global, out(), job);
    }
    JsonObject done = Jobs.follow(api, job.getString("requestId"), err());
    int code = Jobs.report(global, out(), done);
    if (code == ExitCode.OK && output != null) {
      Jobs.fetch(api, done, output, err());
    }
    return code;
  }
}
