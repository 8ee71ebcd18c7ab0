package io.boottorrent.agent.launch;

import java.util.List;

/**
 * The exact commands a launcher runs, in order; each must exit 0 before the next starts. Empty for
 * the {@code none} launcher, which only reports.
 *
 * @param failureHint added to the failure reason when a command fails (empty: none), e.g. what a
 *     Secure Boot lockdown requires of a kexec'd kernel
 */
public record LaunchPlan(String launcher, List<List<String>> commands, String failureHint) {
  public LaunchPlan {
    commands = commands.stream().map(List::copyOf).toList();
  }

  public LaunchPlan(String launcher, List<List<String>> commands) {
    this(launcher, commands, "");
  }

  public String describe() {
    if (commands.isEmpty()) {
      return launcher + ": nothing to run";
    }
    return launcher + ": " + String.join(" && ", commands.stream().map(c -> String.join(" ", c)).toList());
  }
}
