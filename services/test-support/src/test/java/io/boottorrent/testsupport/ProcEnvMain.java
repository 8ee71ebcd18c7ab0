package io.boottorrent.testsupport;

import java.time.Duration;

/** A child JVM for {@link ProcTest}: its own BOOTTORRENT_LEAK, and what a process it starts sees. */
public final class ProcEnvMain {
  private ProcEnvMain() {}

  public static void main(String[] args) throws Exception {
    String child = Proc.command("sh", "-c", "echo \"[$BOOTTORRENT_LEAK]\"").run(Duration.ofSeconds(10)).trim();
    System.out.println("parent [" + System.getenv("BOOTTORRENT_LEAK") + "] child " + child);
  }
}
