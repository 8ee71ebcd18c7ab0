package io.boottorrent.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.testsupport.Proc.Input;
import io.boottorrent.testsupport.Proc.Line;
import io.boottorrent.testsupport.Proc.Match;
import io.boottorrent.testsupport.Proc.Result;
import io.boottorrent.testsupport.Proc.Running;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The process runner with plain POSIX tools (sh, seq, sleep, cat, printf): no root, nothing to skip. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcTest {
  @TempDir Path dir;

  @Test
  void bigOutputOnBothStreamsDoesNotDeadlock() throws Exception {
    // ~2.6 MB, forty times a pipe buffer, half of it on stderr
    Result result = Proc.exec(Duration.ofSeconds(30), "sh", "-c", "seq 1 200000; seq 1 200000 >&2");

    assertThat(result.exit()).isZero();
    assertThat(result.output().split("\n")).hasSize(400_000);
    assertThat(result.output()).startsWith("1\n2\n").endsWith("199999\n200000\n");
  }

  @Test
  void runReturnsTheOutputAndThrowsWithItOnANonZeroExit() throws Exception {
    assertThat(Proc.run("sh", "-c", "echo fine")).isEqualTo("fine\n");

    assertThatThrownBy(() -> Proc.run("sh", "-c", "echo boom >&2; exit 3"))
        .isInstanceOf(IOException.class).hasMessageContaining("exited 3").hasMessageContaining("boom");
    assertThat(Proc.exec(Duration.ofSeconds(5), "sh", "-c", "exit 3").exit()).isEqualTo(3);
  }

  @Test
  void aTimeoutKillsTheProcessAndWhatItStartedAndShowsTheOutputSoFar() throws Exception {
    Path pidFile = dir.resolve("sleep.pid");
    long start = System.nanoTime();

    assertThatThrownBy(() -> Proc.exec(Duration.ofSeconds(1), "sh", "-c",
        "echo started; sleep 60 & echo $! > " + pidFile + "; wait"))
        .isInstanceOf(IOException.class).hasMessageContaining("did not finish in 1 s").hasMessageContaining("started");

    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
    long sleepPid = Long.parseLong(Files.readString(pidFile).trim());
    assertThat(awaitDead(sleepPid)).as("the sleep the shell started is gone").isTrue();
  }

  @Test
  void awaitFindsALineWithItsTimeAndTheLogHasIt() throws Exception {
    Path log = dir.resolve("logs/server.log");
    try (Running p = Proc.command("sh", "-c", "echo one; sleep 0.3; echo 'READY 4711'; sleep 60").name("server")
        .log(log).start()) {
      Line ready = p.await(Match.prefix("READY"), Duration.ofSeconds(10));

      assertThat(ready.text()).isEqualTo("READY 4711");
      assertThat(ready.index()).isEqualTo(1);
      assertThat(ready.seconds()).isBetween(0.2, 10.0);
      assertThat(p.await(Match.regex("^READY (\\d+)$"), Duration.ofSeconds(1))).isEqualTo(ready);
      assertThat(p.await("one", Duration.ofSeconds(1)).index()).isZero();
      assertThat(p.lines()).extracting(Line::text).containsExactly("one", "READY 4711");
      assertThat(Files.readAllLines(log)).hasSize(2).last().asString().endsWith(" READY 4711");
    }
  }

  @Test
  void awaitFailsWithTheWholeOutputWhenTheLineDoesNotCome() throws Exception {
    try (Running p = Proc.command("sh", "-c", "echo hello; echo world; sleep 60").name("quiet").start()) {
      assertThatThrownBy(() -> p.await("never printed", Duration.ofMillis(500)))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("quiet did not print 'never printed' within 0.5 s")
          .hasMessageContaining(" hello\n").hasMessageContaining(" world\n");
    }
  }

  @Test
  void awaitFailsAtOnceWhenTheProcessDiesOrPrintsAFailure() throws Exception {
    Running dying = Proc.command("sh", "-c", "echo bye; exit 2").start();
    long start = System.nanoTime();
    assertThatThrownBy(() -> dying.await("never printed", Duration.ofSeconds(30)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("exited (2)").hasMessageContaining("bye");
    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));

    try (Running failing = Proc.command("sh", "-c", "echo 'Kernel panic'; sleep 1; echo too late; sleep 60").start()) {
      assertThatThrownBy(() -> failing.await("too late", Duration.ofSeconds(30), "Kernel panic"))
          .isInstanceOf(AssertionError.class).hasMessageContaining("printed 'Kernel panic' before 'too late'");
    }
  }

  @Test
  void awaitNextFindsSuccessiveLinesLikeAQueue() throws Exception {
    try (Running p = Proc.command("sh", "-c",
        "echo 'udhcpc: lease of 10.0.0.1'; echo renew; sleep 0.3; echo 'udhcpc: lease of 10.0.0.2'; sleep 60").start()) {
      Match lease = Match.prefix("udhcpc: lease of");

      assertThat(p.awaitNext(lease, Duration.ofSeconds(10)).text()).endsWith("10.0.0.1");
      assertThat(p.awaitNext(Match.contains("renew"), Duration.ofSeconds(10)).index()).isEqualTo(1);
      assertThat(p.awaitNext(lease, Duration.ofSeconds(10)).text()).endsWith("10.0.0.2");
      Line first = p.await(lease, Duration.ofSeconds(1));
      assertThat(first.text()).endsWith("10.0.0.1");
      assertThat(p.awaitAfter(first, lease, Duration.ofSeconds(1)).index()).isEqualTo(2);
    }
  }

  @Test
  void stopEndsAProcessWithSigtermAndOneIgnoringItWithSigkill() throws Exception {
    Running polite = Proc.command("sleep", "60").start();
    polite.stop(Duration.ofSeconds(5));
    assertThat(polite.isAlive()).isFalse();
    assertThat(polite.process().exitValue()).isEqualTo(143); // 128 + SIGTERM

    Running stubborn = Proc.command("sh", "-c", "trap '' TERM; echo armed; while :; do sleep 0.1; done").start();
    stubborn.await("armed", Duration.ofSeconds(10));
    long start = System.nanoTime();
    stubborn.stop(Duration.ofSeconds(1));
    assertThat(stubborn.isAlive()).isFalse();
    assertThat(stubborn.process().exitValue()).isEqualTo(137); // 128 + SIGKILL
    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(8));
  }

  @Test
  void aPipedInputIsWrittenAndItsEofEndsTheProcess() throws Exception {
    Running cat = Proc.command("cat").input(Input.PIPE).start();
    cat.input().write("ping\n".getBytes(StandardCharsets.UTF_8));
    cat.input().flush();
    assertThat(cat.await("ping", Duration.ofSeconds(10)).text()).isEqualTo("ping");

    cat.closeInput();
    assertThat(cat.finish(Duration.ofSeconds(10)).exit()).isZero();

    // stop() closes a piped input first: a process that ends on EOF exits by itself, no SIGTERM
    Running polite = Proc.command("cat").input(Input.PIPE).start();
    polite.stop(Duration.ofSeconds(10));
    assertThat(polite.process().exitValue()).isZero();

    // by default the input is /dev/null: cat ends at once
    assertThat(Proc.exec(Duration.ofSeconds(10), "cat").output()).isEmpty();
  }

  @Test
  void aTerminalsEscapesAndCarriageReturnsAreDroppedAndOtherwiseKept() throws Exception {
    String printf = "printf '\\033[2J\\033[1;1Hhello\\r\\n\\033cwor\\033[0mld\\r!\\n'";
    Running terminal = Proc.command("sh", "-c", printf).terminal().start();
    terminal.finish(Duration.ofSeconds(10));
    assertThat(terminal.lines()).extracting(Line::text).containsExactly("hello", "world!");
    assertThat(terminal.text()).isEqualTo("hello\nworld!\n");

    Running plain = Proc.command("sh", "-c", printf).start();
    Result result = plain.finish(Duration.ofSeconds(10));
    assertThat(plain.lines()).hasSize(3); // CR LF, then a lone CR end lines, as BufferedReader.readLine
    assertThat(result.output()).contains("\u001B[2J", "\r\n"); // the output itself as written
  }

  @Test
  void signalReachesTheProcess() throws Exception {
    try (Running p = Proc.command("sh", "-c", "trap 'echo got USR1' USR1; echo armed; while :; do sleep 0.1; done")
        .start()) {
      p.await("armed", Duration.ofSeconds(10));
      p.signal("USR1");
      p.await("got USR1", Duration.ofSeconds(10));
    }
  }

  @Test
  void aChildDoesNotInheritBoottorrentSettings() throws Exception {
    // a child JVM with BOOTTORRENT_LEAK set runs sh through Proc: sh must not see it
    String out = Proc.java(ProcEnvMain.class.getName()).env("BOOTTORRENT_LEAK", "1").run(Duration.ofSeconds(30));
    assertThat(out).isEqualTo("parent [1] child []\n");
  }

  @Test
  void theEnvironmentIsOursWithoutLibjsigAndWithOverrides() throws Exception {
    String env = Proc.command("sh", "-c", "echo \"foo=$FOO preload=[$LD_PRELOAD] path=$PATH\"")
        .env("FOO", "bar").env("PATH", "/usr/bin:/bin").run(Duration.ofSeconds(10));
    assertThat(env).isEqualTo("foo=bar preload=[] path=/usr/bin:/bin\n");

    assertThat(Proc.command("sh", "-c", "echo \"[$HOME]\"").env("HOME", null).run(Duration.ofSeconds(10)))
        .isEqualTo("[]\n");
    assertThat(Proc.command("pwd").dir(dir).run(Duration.ofSeconds(10)).trim())
        .isEqualTo(dir.toRealPath().toString());
  }

  @Test
  void finishTimesTheRunFromStartToExitNotToTheCall() throws Exception {
    Running quick = Proc.command("sleep", "0.2").start();
    Thread.sleep(1000);
    Result result = quick.finish(Duration.ofSeconds(10));

    assertThat(result.exit()).isZero();
    assertThat(result.elapsed()).isBetween(Duration.ofMillis(150), Duration.ofMillis(900));
  }

  @Test
  void aJavaChildRunsOnTheTestClasspathAndEndsAtTheEndOfItsInput() throws Exception {
    Running child = Proc.java(LabEchoMain.class.getName(), "hello").input(Input.PIPE).start();
    child.await("READY hello", Duration.ofSeconds(30));
    assertThat(child.await(Match.prefix("LD_PRELOAD="), Duration.ofSeconds(1)).text())
        .isEqualTo("LD_PRELOAD=" + Proc.libjsig().map(Path::toString).orElse("null"));

    child.closeInput();
    assertThat(child.finish(Duration.ofSeconds(30)).exit()).isZero();
    assertThat(child.lines()).last().extracting(Line::text).isEqualTo("BYE");
  }

  private static boolean awaitDead(long pid) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (ProcessHandle.of(pid).map(Proc::running).orElse(false)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }
}
