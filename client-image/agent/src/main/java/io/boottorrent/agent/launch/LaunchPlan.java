package io.boottorrent.agent.launch;

import java.util.List;

/**
 * The exact commands a launcher runs, in order; each must exit 0 before the next starts. Empty for
 * the {@code none} launcher, which only reports.
 */
public record LaunchPlan(String launcher, List<List<String>> commands) {
  public LaunchPlan {
    commands = commands.stream().map(List::copyOf).toList();
  }

  public String describe() {
    if (commands.isEmpty()) {
      return launcher + ": nothing to run";
    }
    return launcher + ": " + String.join(" && ", commands.stream().map(c -> String.join(" ", c)).toList());
  }
}
