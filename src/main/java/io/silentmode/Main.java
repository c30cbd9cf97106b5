package io.silentmode;

import io.silentmode.cli.AgentCommand;
import io.silentmode.cli.DemoCommand;
import io.silentmode.cli.ServerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** One binary, three roles: {@code server}, {@code agent}, and operator commands such as {@code demo}. */
@Command(name = "silentmode", mixinStandardHelpOptions = true, version = "silentmode 0.1.0",
  description = "Pull verified files from agents behind NAT over WebSocket.",
  subcommands = {ServerCommand.class, AgentCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main {

  public static void main(String[] args) {
    int code = new CommandLine(new Main()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }
}
