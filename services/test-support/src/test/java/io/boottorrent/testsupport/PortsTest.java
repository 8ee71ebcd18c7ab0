package io.boottorrent.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {
  @Test
  void portsHandedOutInOneJvmAreNeverTheSame() {
    // WHEN a test asks for 200 ports in a row (the kernel gave DiskFullTest the same one twice)
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      ports.add(Ports.freeTcp());
    }
    // THEN every one is different, and a real port
    assertThat(ports).hasSize(200).allSatisfy(p -> assertThat(p).isBetween(1, 65_535));
  }
}
