package io.boottorrent.testsupport;

import java.net.NetworkInterface;
import java.util.Collections;
import java.util.stream.Collectors;

/**
 * A child JVM for the tests of {@link Proc#java}: prints {@code READY <args>}, its LD_PRELOAD and the
 * interfaces it sees (inside a lab namespace: the lab's), then {@code BYE} when its input ends.
 */
public final class LabEchoMain {
  private LabEchoMain() {}

  public static void main(String[] args) throws Exception {
    System.out.println("READY " + String.join(" ", args));
    System.out.println("LD_PRELOAD=" + System.getenv("LD_PRELOAD"));
    System.out.println("INTERFACES " + Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
        .map(NetworkInterface::getName).sorted().collect(Collectors.joining(",")));
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the parent closes our input
    }
    System.out.println("BYE");
  }
}
