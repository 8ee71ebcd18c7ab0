package io.boottorrent.cli;

import io.boottorrent.agent.cli.AgentCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code boottorrent}: one command for every BootTorrent process and for operators. */
@Command(name = "boottorrent", mixinStandardHelpOptions = true, version = "BootTorrent 0.1.0",
    description = "Peer-to-peer network boot: PXE front door, image catalog, BitTorrent swarm delivery.",
    subcommands = {ServeCommand.class, ImageCommand.class, TokensCommand.class, KeysCommand.class,
        AgentCommand.class, DemoCommand.class, EventsCommand.class, StatusCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs one command line and returns its exit code (main without System.exit: tests run the CLI in-process). */
  public static int run(String... args) {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
