package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

@Command(name = "downloads", mixinStandardHelpOptions = true,
  description = "Pulls as jobs: list, follow, pause, resume, cancel, retry, fetch, share.",
  subcommands = {DownloadsCommand.ListJobs.class, DownloadsCommand.Status.class, DownloadsCommand.Pause.class,
    DownloadsCommand.Resume.class, DownloadsCommand.Cancel.class, DownloadsCommand.Retry.class,
    DownloadsCommand.Fetch.class, DownloadsCommand.Link.class},
  footer = {"", "Examples:", "  silentmode downloads list --client restaurant-001 --status failed",
    "  silentmode downloads status 3f2c... --follow", "  silentmode downloads pause 3f2c...",
    "  silentmode downloads resume 3f2c...", "  silentmode downloads retry 3f2c...",
    "  silentmode downloads fetch 3f2c... --output menu.csv", "", ExitCode.HELP})
public class DownloadsCommand {

  @Mixin
  Global global;

  abstract static class Sub extends Subcommand {
    @ParentCommand
    DownloadsCommand parent;

    @Override
    Global global() {
      return parent.global;
    }
  }

  abstract static class OneJob extends Sub {
    @Parameters(paramLabel = "REQUEST_ID", description = "The job's requestId.")
    String requestId;
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Jobs, newest first.")
  static class ListJobs extends Sub {
    @Option(names = "--client", description = "Only this agent's jobs.")
    String client;
    @Option(names = "--status", description = "Only jobs in this state: queued, in_progress, paused, completed, failed, cancelled.")
    String status;
    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    int run() {
      StringBuilder q = new StringBuilder("/api/v1/downloads?limit=" + limit);
      if (client != null) {
        q.append("&clientId=").append(URLEncoder.encode(client, StandardCharsets.UTF_8));
      }
      if (status != null) {
        q.append("&status=").append(URLEncoder.encode(status, StandardCharsets.UTF_8));
      }
      JsonObject page = global().client().get(q.toString());
      if (global().json) {
        Output.json(out(), page.getJsonArray("items"));
      } else {
        Output.table(out(), List.of("REQUEST ID", "CLIENT", "STATUS", "CREATED", "SIZE", "ERROR"),
          page.getJsonArray("items").stream().map(JsonObject.class::cast).toList(),
          List.<Function<JsonObject, Object>>of(j -> j.getString("requestId"), j -> j.getString("clientId"),
            Output::status, j -> j.getString("createdAt"), j -> Output.bytes(j.getLong("size")),
            j -> j.getJsonObject("error") == null ? null : j.getJsonObject("error").getString("code")));
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
    description = "One job; --follow waits for its end with live progress, through any pause.")
  static class Status extends OneJob {
    @Option(names = {"-f", "--follow"}, description = "Follow the job until it ends.")
    boolean follow;

    @Override
    int run() {
      ApiClient api = global().client();
      JsonObject job = follow ? Jobs.follow(api, requestId, err()) : api.get(Jobs.PATH + requestId);
      return Jobs.report(global(), out(), job);
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
    description = "Pause a queued or running pull: it keeps what it verified and frees the agent until resumed.",
    footer = {"", "Exit codes: 0 paused (or already paused), 3 server unreachable, 4 no such job, 5 the job has ended "
      + "or is being published (DOWNLOAD_NOT_ACTIVE), 6 unauthorized."})
  static class Pause extends OneJob {
    @Override
    int run() {
      return Jobs.report(global(), out(), global().client().post(Jobs.PATH + requestId + "/pause", null));
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
    description = "Resume a paused pull from what it misses; it waits, still paused, while its agent is away or busy.",
    footer = {"", "Exit codes: 0 resumed (or waiting for its agent), 3 server unreachable, 4 no such job, 5 the job "
      + "is not paused (DOWNLOAD_NOT_PAUSED), 6 unauthorized."})
  static class Resume extends OneJob {
    @Override
    int run() {
      return Jobs.report(global(), out(), global().client().post(Jobs.PATH + requestId + "/resume", null));
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a queued, running or paused pull.")
  static class Cancel extends OneJob {
    @Override
    int run() {
      Jobs.report(global(), out(), global().client().delete(Jobs.PATH + requestId));
      return ExitCode.OK;
    }
  }

  @Command(name = "retry", mixinStandardHelpOptions = true, description = "Pull again what a failed or cancelled job asked for (a new job).")
  static class Retry extends OneJob {
    @Override
    int run() {
      return Jobs.report(global(), out(), global().client().post(Jobs.PATH + requestId + "/retry", null));
    }
  }

  @Command(name = "fetch", mixinStandardHelpOptions = true, description = "Download a completed job's file and check its SHA-256 here.")
  static class Fetch extends OneJob {
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to save it (default: the agent's file name).")
    Path output;

    @Override
    int run() {
      ApiClient api = global().client();
      String sha = Jobs.fetch(api, api.get(Jobs.PATH + requestId), output, err());
      if (global().json) {
        Output.json(out(), new JsonObject().put("requestId", requestId).put("sha256", sha));
      } else {
        out().println(sha);
        out().flush();
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "link", mixinStandardHelpOptions = true, description = "A signed link to the file that works without a token, for an hour.")
  static class Link extends OneJob {
    @Override
    int run() {
      JsonObject link = global().client().post(Jobs.PATH + requestId + "/link", null);
      if (global().json) {
        Output.json(out(), link);
      } else {
        out().println(link.getString("url"));
        out().flush();
      }
      return ExitCode.OK;
    }
  }
}
