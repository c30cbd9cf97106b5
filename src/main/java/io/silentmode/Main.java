package io.silentmode;

import io.silentmode.cli.AgentCommand;
import io.silentmode.cli.DemoCommand;
import io.silentmode.cli.ServerCommand;
import io.silentmode.cli.SwarmCommand;
import io.silentmode.cli.operator.BatchesCommand;
import io.silentmode.cli.operator.ClientsCommand;
import io.silentmode.cli.operator.DownloadCommand;
import io.silentmode.cli.operator.DownloadsCommand;
import io.silentmode.cli.operator.TokensCommand;
import io.silentmode.logging.Logging;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** One binary, three roles: {@code server}, {@code agent}, and operator commands such as {@code demo}. */
@Command(name = "silentmode", mixinStandardHelpOptions = true, version = "silentmode 0.1.0",
  description = "Pull verified files from agents behind NAT over WebSocket.",
  subcommands = {ServerCommand.class, AgentCommand.class, DemoCommand.class, ClientsCommand.class, DownloadCommand.class,
    DownloadsCommand.class, TokensCommand.class, BatchesCommand.class, SwarmCommand.class, AutoComplete.GenerateCompletion.class, CommandLine.HelpCommand.class})
public final class Main {

  private static final String NETTY_ALLOCATOR = "io.netty.allocator.type";

  /** The whole command model; tests run commands through it. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(false);
    return cli;
  }

  public static void main(String[] args) {
    // Before any Netty class loads. Netty 4.2's default adaptive allocator serves the chunk path's steady stream of
    // 64 KiB frames from fresh, zeroed direct memory time and again; the arena allocator reuses it, which cut the
    // server's CPU per pulled GiB by about a tenth in bench/run.sh. -Dio.netty.allocator.type overrides this.
    if (System.getProperty(NETTY_ALLOCATOR) == null) {
      System.setProperty(NETTY_ALLOCATOR, "pooled");
    }
    String logProblem = Logging.problem(System.getenv());
    if (logProblem != null) {
      System.err.println("silentmode: " + logProblem);
      System.exit(2);
    }
    Logging.install();
    int code = commandLine().execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }
}
