package io.silentmode.cli.operator;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** A leaf operator command: where it prints, the parent's global options, and errors turned into exit codes. */
abstract class Subcommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  abstract Global global();

  abstract int run();

  @Override
  public Integer call() {
    return Output.run(err(), this::run);
  }
}
