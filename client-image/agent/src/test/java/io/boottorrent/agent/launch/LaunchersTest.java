package io.boottorrent.agent.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchersTest {
  private static final Path DIR = Path.of("/run/bt/demo");

  private static ImageManifest kexec(boolean initrd) {
    ImageManifest.Builder b = ImageManifest.newBuilder().setName("demo").setKind(ImageKind.KEXEC)
        .setCmdline("console=ttyS0 quiet")
        .addFiles(ImageFile.newBuilder().setRole("kernel").setPath("vmlinuz"));
    if (initrd) {
      b.addFiles(ImageFile.newBuilder().setRole("initrd").setPath("initrd"));
    }
    return b.build();
  }

  @Test
  void autoPicksTheLauncherByImageKind() {
    assertThat(Launchers.resolve("auto", ImageKind.KEXEC)).isEqualTo("kexec");
    assertThat(Launchers.resolve("", ImageKind.QEMU)).isEqualTo("qemu");
    assertThat(Launchers.resolve(null, ImageKind.EXEC)).isEqualTo("exec");
    assertThat(Launchers.resolve("NONE", ImageKind.KEXEC)).isEqualTo("none");
    assertThatThrownBy(() -> Launchers.resolve("grub", ImageKind.KEXEC)).hasMessageContaining("unknown launcher 'grub'");
    assertThatThrownBy(() -> Launchers.resolve("auto", ImageKind.IMAGE_KIND_UNSPECIFIED)).hasMessageContaining("no launcher");
  }

  @Test
  void kexecLoadsKernelInitrdAndCommandLineThenExecutes() {
    LaunchPlan plan = Launchers.plan("kexec", kexec(true), DIR, false);
    assertThat(plan.commands()).containsExactly(
        List.of("kexec", "--load", "/run/bt/demo/vmlinuz", "--initrd=/run/bt/demo/initrd",
            "--command-line=console=ttyS0 quiet"),
        List.of("kexec", "--exec"));
  }

  @Test
  void underLockdownKexecLoadsThroughTheSignatureCheckingSyscallAndSaysWhatAFailureMeans() {
    LaunchPlan plan = Launchers.plan("kexec", kexec(true), DIR, false, java.util.Optional.of("integrity"));
    assertThat(plan.commands()).containsExactly(
        List.of("kexec", "--load", "--kexec-file-syscall", "/run/bt/demo/vmlinuz", "--initrd=/run/bt/demo/initrd",
            "--command-line=console=ttyS0 quiet"),
        List.of("kexec", "--exec"));
    assertThat(plan.failureHint()).startsWith("this kernel is locked down (integrity, Secure Boot), so kexec loads "
        + "only a kernel signed by a key it trusts").contains("is vmlinuz of image demo signed?");
    assertThat(Launchers.plan("kexec", kexec(true), DIR, false).failureHint()).isEmpty();
  }

  @Test
  void theLockdownModeIsTheBracketedOneUnlessNone() {
    assertThat(Launchers.parseLockdown("[none] integrity confidentiality\n")).isEmpty();
    assertThat(Launchers.parseLockdown("none [integrity] confidentiality\n")).contains("integrity");
    assertThat(Launchers.parseLockdown("none integrity [confidentiality]\n")).contains("confidentiality");
    assertThat(Launchers.parseLockdown("")).isEmpty();
  }

  @Test
  void kexecWithoutInitrdLeavesTheOptionOut() {
    assertThat(Launchers.plan("kexec", kexec(false), DIR, false).commands().get(0))
        .noneMatch(arg -> arg.startsWith("--initrd"));
  }

  @Test
  void qemuUsesKvmOnlyWhenAvailableAndKeepsTheDiskPristine() {
    ImageManifest image = ImageManifest.newBuilder().setName("win").setKind(ImageKind.QEMU)
        .addFiles(ImageFile.newBuilder().setRole("disk").setPath("disk.qcow2"))
        .addAllArgs(List.of("-smp", "2")).build();
    List<String> tcg = Launchers.plan("qemu", image, DIR, false).commands().get(0);
    assertThat(tcg).containsSequence("-accel", "tcg").contains("-snapshot")
        .contains("file=/run/bt/demo/disk.qcow2,format=qcow2,if=virtio").endsWith("-smp", "2");
    assertThat(Launchers.plan("qemu", image, DIR, true).commands().get(0)).containsSequence("-accel", "kvm");
  }

  @Test
  void execRunsTheBinaryWithItsArguments() {
    ImageManifest image = ImageManifest.newBuilder().setName("tool").setKind(ImageKind.EXEC)
        .addFiles(ImageFile.newBuilder().setRole("binary").setPath("memtest"))
        .addAllArgs(List.of("--passes", "1")).build();
    assertThat(Launchers.plan("exec", image, DIR, false).commands())
        .containsExactly(List.of("/run/bt/demo/memtest", "--passes", "1"));
  }

  @Test
  void noneRunsNothing() {
    assertThat(Launchers.plan("none", kexec(true), DIR, false).commands()).isEmpty();
  }

  @Test
  void aMissingFileOfTheRightRoleIsAClearError() {
    ImageManifest noKernel = ImageManifest.newBuilder().setName("broken").setKind(ImageKind.KEXEC).build();
    assertThatThrownBy(() -> Launchers.plan("kexec", noKernel, DIR, false))
        .hasMessage("image broken has no kernel file");
  }

  @Test
  void processLauncherRunsAnExecImageAndReportsItsExitCode(@TempDir Path dir) throws Exception {
    // GIVEN a downloaded "binary" without the executable bit, as files arrive from the swarm
    Path script = dir.resolve("hello.sh");
    Files.writeString(script, "#!/bin/sh\nexit $1\n");
    ImageManifest image = ImageManifest.newBuilder().setName("t").setKind(ImageKind.EXEC)
        .addFiles(ImageFile.newBuilder().setRole("binary").setPath("hello.sh")).addArgs("3").build();
    // WHEN it is launched THEN it ran (exit code passed through) despite the missing x bit
    assertThat(ProcessLauncher.run(Launchers.plan("exec", image, dir, false))).isEqualTo(3);
    assertThat(Files.isExecutable(script)).isTrue();
  }

  @Test
  void processLauncherStopsAtTheFirstFailingCommand(@TempDir Path dir) throws IOException, InterruptedException {
    Path marker = dir.resolve("ran");
    LaunchPlan plan = new LaunchPlan("test", List.of(List.of("false"), List.of("touch", marker.toString())));
    assertThat(ProcessLauncher.run(plan)).isEqualTo(1);
    assertThat(marker).doesNotExist();
  }
}
