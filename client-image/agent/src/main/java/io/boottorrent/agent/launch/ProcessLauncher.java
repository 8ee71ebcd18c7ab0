package io.boottorrent.agent.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;

/**
 * Runs a {@link LaunchPlan}: each command in turn, its output on the agent's console. Blocking (it
 * waits for the processes): call it from a worker thread.
 */
public final class ProcessLauncher {
  private ProcessLauncher() {}

  /** Exit code of the first command that fails, or of the last one. */
  public static int run(LaunchPlan plan) throws IOException, InterruptedException {
    return run(plan, () -> {});
  }

  /** As {@link #run(LaunchPlan)}; {@code started} runs (on this thread) once each command has started. */
  public static int run(LaunchPlan plan, Runnable started) throws IOException, InterruptedException {
    int code = 0;
    for (List<String> command : plan.commands()) {
      makeExecutable(Path.of(command.get(0)));
      Process process = new ProcessBuilder(command).inheritIO().start();
      started.run();
      code = process.waitFor();
      if (code != 0) {
        return code;
      }
    }
    return code;
  }

  /** Starts a plan of one command (qemu, exec): the caller waits for it, or stops it. */
  public static Process start(LaunchPlan plan) throws IOException {
    if (plan.commands().size() != 1) {
      throw new IllegalArgumentException("start runs a plan of one command, got " + plan.commands().size());
    }
    List<String> command = plan.commands().get(0);
    makeExecutable(Path.of(command.get(0)));
    return new ProcessBuilder(command).inheritIO().start();
  }

  /** Files arrive from the swarm without the executable bit; an exec image's binary needs it. */
  private static void makeExecutable(Path program) throws IOException {
    if (program.isAbsolute() && Files.isRegularFile(program) && !Files.isExecutable(program)) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(program);
      perms.add(PosixFilePermission.OWNER_EXECUTE);
      Files.setPosixFilePermissions(program, perms);
    }
  }
}
