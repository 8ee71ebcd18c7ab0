package io.boottorrent.agent.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Main class of the client image's agent-only jar ({@code boottorrent-agent.jar}): the same command
 * line as the full jar's, {@code java -jar boottorrent-agent.jar agent --catalog … --mac …}, with
 * {@link AgentCommand} as its only subcommand.
 */
@Command(name = "boottorrent", mixinStandardHelpOptions = true, version = "BootTorrent 0.1.0 (agent only)",
    description = "The BootTorrent client agent alone, as the client image carries it.",
    subcommands = AgentCommand.class)
public final class AgentMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    return new CommandLine(new AgentMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
