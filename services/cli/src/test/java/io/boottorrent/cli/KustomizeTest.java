package io.boottorrent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.boottorrent.core.config.EnvOverrides;
import io.boottorrent.core.config.ServiceLinks;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.HealthOptions;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Proc;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The Kubernetes manifests (k8s/base and every overlay under k8s/overlays), as {@code kubectl kustomize}
 * renders them and fabric8's Kubernetes model reads them: selectors, ports, probes, resources, the one
 * image, the autoscaler, the PXE DaemonSet, RBAC; and each container's {@code serve} command line with
 * the mounted boottorrent.yaml and the container's environment, read by the real config code
 * ({@link ServeCommand#loadConfig}, {@link Services#assemble}) as the pod would read it. No cluster is
 * involved: what a running cluster does with these objects is not checked here.
 */
class KustomizeTest {
  /** The namespace everything is rendered into; the headless Service's DNS name depends on it. */
  private static final String NAMESPACE = "boottorrent";
  private static final String CLUSTER_DOMAIN = "svc.cluster.local";
  /** The headless Service the Hazelcast members find each other through. */
  private static final String CLUSTER_SERVICE = "boottorrent-cluster";
  private static final String BOOT_NETWORK_LABEL = "boottorrent.io/boot-network";
  /** Stand-ins for what the kubelet fills into fieldRef variables. */
  private static final String POD_IP = "10.244.1.7";
  private static final String NODE_IP = "192.0.2.21";
  /** Per service: the section and key of the port it listens on, and the containerPort name that must carry it. */
  private static final Map<String, String[]> LISTEN_PORTS = Map.of(
      "catalog", new String[] {"catalog", "httpPort", "catalog"},
      "tracker", new String[] {"tracker", "httpPort", "tracker"},
      "telemetry", new String[] {"telemetry", "httpPort", "telemetry"},
      "seeder", new String[] {"seeder", "listenPort", "peer"},
      "dhcp", new String[] {"dhcp", "port", "dhcp"},
      "tftp", new String[] {"tftp", "port", "tftp"});

  private static Path kubectl;
  private static final Map<String, Rendered> RENDERED = new ConcurrentHashMap<>();

  @BeforeAll
  static void needKubectl() throws IOException, InterruptedException {
    kubectl = Gate.requireCommand("kubectl", "kubernetes-client");
    // `labels`, `patches` with targets, generators with `behavior`: kustomize v5 (kubectl 1.27+) reads
    // them as written here; Debian 12's kubernetes-client (kubectl 1.20) embeds kustomize v2.
    String version = Proc.exec(Duration.ofSeconds(30), kubectl.toString(), "version", "--client").output();
    Matcher m = Pattern.compile("Kustomize Version: v(\\d+)").matcher(version);
    Gate.require(m.find() && Integer.parseInt(m.group(1)) >= 5,
        "kubectl at " + kubectl + " has no kustomize v5+ built in (kubectl 1.27+ from pkgs.k8s.io has): "
            + version.strip().replace('\n', ' '));
  }

  /** k8s/base and every overlay directory: a new overlay is checked without touching this test. */
  static Stream<String> kustomizations() throws IOException {
    List<String> dirs = new ArrayList<>(List.of("base"));
    try (Stream<Path> overlays = Files.list(repoRoot().resolve("k8s/overlays"))) {
      overlays.filter(d -> Files.isRegularFile(d.resolve("kustomization.yaml")))
          .map(d -> "overlays/" + d.getFileName()).sorted().forEach(dirs::add);
    }
    return dirs.stream();
  }

  @Test
  void theOverlaysAreDevAndProduction() throws IOException {
    assertThat(kustomizations()).contains("base", "overlays/dev", "overlays/production");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void rendersIntoKnownObjectsInOneNamespace(String dir) {
    Rendered r = render(dir);
    assertThat(r.objects).isNotEmpty();
    for (HasMetadata o : r.objects) {
      assertThat(unknownFields(o, o.getKind() + "/" + o.getMetadata().getName()))
          .as("fields the Kubernetes model does not know (a typo?)").isEmpty();
      if (o instanceof Namespace) {
        assertThat(o.getMetadata().getName()).isEqualTo(NAMESPACE);
      } else {
        assertThat(o.getMetadata().getNamespace()).as(name(o) + " namespace").isEqualTo(NAMESPACE);
      }
    }
    assertThat(r.of(Namespace.class)).hasSize(1);
    assertThat(r.workloads()).extracting(Workload::component)
        .containsExactlyInAnyOrder("catalog", "tracker", "telemetry", "seeder", "pxe");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void workloadSelectorsMatchTheirPodsAndEveryServiceSelectsPods(String dir) {
    Rendered r = render(dir);
    for (Workload w : r.workloads()) {
      assertThat(w.selector().getMatchExpressions()).as(w + " matchExpressions").isNullOrEmpty();
      assertThat(w.selector().getMatchLabels()).as(w + " selector").isNotEmpty();
      assertThat(w.labels()).as(w + ": pod template labels vs the selector")
          .containsAllEntriesOf(w.selector().getMatchLabels());
    }
    for (Service s : r.of(Service.class)) {
      assertThat(r.selectedBy(s.getSpec().getSelector())).as(name(s) + " selects no pod").isNotEmpty();
    }
    for (PodDisruptionBudget pdb : r.of(PodDisruptionBudget.class)) {
      assertThat(r.selectedBy(pdb.getSpec().getSelector().getMatchLabels())).as(name(pdb) + " selects no pod").isNotEmpty();
    }
    for (StatefulSet sts : r.of(StatefulSet.class)) {
      Service governing = r.service(sts.getSpec().getServiceName());
      assertThat(governing.getSpec().getClusterIP()).as(name(sts) + "'s serviceName must be headless").isEqualTo("None");
      assertThat(r.selectedBy(governing.getSpec().getSelector())).extracting(Workload::owner).contains(sts);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void serviceTargetPortsAndProbePortsAreContainerPorts(String dir) {
    Rendered r = render(dir);
    for (Service s : r.of(Service.class)) {
      List<Workload> selected = r.selectedBy(s.getSpec().getSelector());
      for (ServicePort port : s.getSpec().getPorts()) {
        IntOrString target = port.getTargetPort() == null ? new IntOrString(port.getPort()) : port.getTargetPort();
        List<Workload> serving = selected.stream()
            .filter(w -> w.containers().stream().anyMatch(c -> containerPort(c, target).isPresent())).toList();
        assertThat(serving).as(name(s) + " port " + port.getName() + " -> " + target.getValue()
            + ": no selected container has it").isNotEmpty();
        for (Workload w : serving) {
          ContainerPort cp = w.containers().stream().flatMap(c -> containerPort(c, target).stream()).findFirst().orElseThrow();
          assertThat(protocol(cp.getProtocol())).as(name(s) + " port " + port.getName() + " protocol on " + w)
              .isEqualTo(protocol(port.getProtocol()));
        }
      }
    }
    for (Workload w : r.workloads()) {
      for (Container c : w.containers()) {
        assertThat(c.getLivenessProbe()).as(w + "/" + c.getName() + " liveness").isNotNull();
        assertThat(c.getReadinessProbe()).as(w + "/" + c.getName() + " readiness").isNotNull();
        checkProbe(w, c, "liveness", c.getLivenessProbe(), "/health");
        checkProbe(w, c, "readiness", c.getReadinessProbe(), "/readiness");
        if (c.getStartupProbe() != null) {
          checkProbe(w, c, "startup", c.getStartupProbe(), "/health");
        }
      }
    }
  }

  private static void checkProbe(Workload w, Container c, String what, Probe probe, String path) {
    assertThat(probe.getHttpGet()).as(w + " " + what + " probe: HTTP GET").isNotNull();
    assertThat(probe.getHttpGet().getPath()).as(w + " " + what + " probe path").isEqualTo(path);
    assertThat(containerPort(c, probe.getHttpGet().getPort())).as(w + " " + what + " probe port "
        + probe.getHttpGet().getPort().getValue() + " is no containerPort of " + c.getName()).isPresent();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void everyContainerHasCpuAndMemoryRequestsAndLimits(String dir) {
    for (Workload w : render(dir).workloads()) {
      for (Container c : w.allContainers()) {
        ResourceRequirements res = c.getResources();
        String who = w + "/" + c.getName();
        assertThat(res).as(who + " resources").isNotNull();
        for (String resource : List.of("cpu", "memory")) {
          Quantity request = res.getRequests() == null ? null : res.getRequests().get(resource);
          Quantity limit = res.getLimits() == null ? null : res.getLimits().get(resource);
          assertThat(request).as(who + " requests." + resource).isNotNull();
          assertThat(limit).as(who + " limits." + resource).isNotNull();
          assertThat(request.getNumericalAmount()).as(who + " " + resource + " request <= limit")
              .isLessThanOrEqualTo(limit.getNumericalAmount());
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void everyContainerRunsTheOneImageWithAnExplicitTag(String dir) {
    List<String> images = render(dir).workloads().stream()
        .flatMap(w -> w.allContainers().stream()).map(Container::getImage).distinct().toList();
    assertThat(images).as("images").hasSize(1);
    String image = images.get(0);
    String tag = image.substring(image.lastIndexOf('/') + 1);
    assertThat(tag).as(image + ": a tag").contains(":");
    assertThat(tag).as(image).doesNotEndWith(":latest");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void theAutoscalerTargetsTheSeedersAndOwnsTheirCount(String dir) {
    Rendered r = render(dir);
    for (HorizontalPodAutoscaler hpa : r.of(HorizontalPodAutoscaler.class)) {
      var ref = hpa.getSpec().getScaleTargetRef();
      assertThat(ref.getKind()).isEqualTo("Deployment");
      assertThat(ref.getApiVersion()).isEqualTo("apps/v1");
      Deployment target = r.of(Deployment.class).stream().filter(d -> d.getMetadata().getName().equals(ref.getName()))
          .findFirst().orElseThrow(() -> new AssertionError(name(hpa) + " targets no Deployment " + ref.getName()));
      assertThat(target.getSpec().getReplicas()).as(name(target) + ": the autoscaler sets replicas, "
          + "a count in the manifest would be reset by every apply").isNull();
      Integer min = hpa.getSpec().getMinReplicas();
      assertThat(min).isNotNull().isPositive().isLessThanOrEqualTo(hpa.getSpec().getMaxReplicas());
      List<MetricSpec> metrics = hpa.getSpec().getMetrics();
      assertThat(metrics).extracting(MetricSpec::getType).contains("Pods", "Resource");
      String upload = metrics.stream().filter(m -> m.getType().equals("Pods"))
          .map(m -> m.getPods().getMetric().getName()).findFirst().orElseThrow();
      // the adapter derives it from the seeder's counter (docs/METRICS.md, rule in k8s/README.md)
      assertThat(upload).startsWith("boottorrent_seeder_uploaded_bytes");
      assertThat(readString(repoRoot().resolve("docs/METRICS.md"))).contains("boottorrent_seeder_uploaded_bytes_total");
      assertThat(readString(repoRoot().resolve("k8s/README.md"))).contains(upload, "boottorrent_seeder_uploaded_bytes_total");
    }
    for (Deployment d : r.of(Deployment.class)) {
      boolean scaled = r.of(HorizontalPodAutoscaler.class).stream()
          .anyMatch(h -> h.getSpec().getScaleTargetRef().getName().equals(d.getMetadata().getName()));
      if (!scaled) {
        assertThat(d.getSpec().getReplicas()).as(name(d) + " replicas").isNotNull().isPositive();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void thePxeDaemonSetRunsOnTheBootNetworkNodesWithOnlyNetBindService(String dir) {
    Rendered r = render(dir);
    assertThat(r.of(DaemonSet.class)).hasSize(1);
    Workload pxe = r.workload("pxe");
    assertThat(pxe.owner()).isInstanceOf(DaemonSet.class);
    PodSpec spec = pxe.template().getSpec();
    assertThat(spec.getHostNetwork()).as("hostNetwork").isTrue();
    assertThat(spec.getDnsPolicy()).as("dnsPolicy (cluster DNS from the host network)").isEqualTo("ClusterFirstWithHostNet");
    assertThat(spec.getNodeSelector()).containsEntry(BOOT_NETWORK_LABEL, "true");
    Container c = pxe.containers().get(0);
    assertThat(serve(c).services).containsExactlyInAnyOrder("dhcp", "tftp");
    var caps = c.getSecurityContext().getCapabilities();
    assertThat(caps.getDrop()).containsExactly("ALL");
    assertThat(caps.getAdd()).containsExactly("NET_BIND_SERVICE");
    assertThat(c.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getPorts()).filteredOn(p -> p.getName().equals("dhcp") || p.getName().equals("tftp"))
        .extracting(ContainerPort::getProtocol).containsOnly("UDP").hasSize(2);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void nonRootPodsRunAsTheImagesUser(String dir) {
    String[] user = dockerfileUser();
    for (Workload w : render(dir).workloads()) {
      if (w.component().equals("pxe")) {
        continue; // root with NET_BIND_SERVICE only: checked above
      }
      PodSecurityContext sc = w.template().getSpec().getSecurityContext();
      assertThat(sc.getRunAsNonRoot()).as(w + " runAsNonRoot").isTrue();
      assertThat(sc.getRunAsUser()).as(w + " runAsUser = the Dockerfile's USER").hasToString(user[0]);
      assertThat(sc.getFsGroup()).as(w + " fsGroup = the Dockerfile's group").hasToString(user[1]);
      for (Container c : w.allContainers()) {
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(w + " allowPrivilegeEscalation").isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).as(w + " drops").containsExactly("ALL");
        assertThat(c.getSecurityContext().getCapabilities().getAdd()).as(w + " adds").isNullOrEmpty();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void everyPodRunsAsTheServiceAccountTheDiscoveryRoleIsBoundTo(String dir) {
    Rendered r = render(dir);
    for (Workload w : r.workloads()) {
      String account = w.template().getSpec().getServiceAccountName();
      assertThat(r.of(ServiceAccount.class)).as(w + " service account " + account)
          .anyMatch(sa -> sa.getMetadata().getName().equals(account));
      List<PolicyRule> rules = r.of(RoleBinding.class).stream()
          .filter(b -> b.getSubjects().stream().anyMatch(s -> s.getKind().equals("ServiceAccount")
              && s.getName().equals(account) && NAMESPACE.equals(s.getNamespace())))
          .filter(b -> b.getRoleRef().getKind().equals("Role"))
          .flatMap(b -> r.of(Role.class).stream().filter(role -> role.getMetadata().getName().equals(b.getRoleRef().getName())))
          .flatMap(role -> role.getRules().stream()).toList();
      for (String resource : List.of("endpoints", "pods", "services")) {
        assertThat(rules).as(w + ": get and list " + resource).anyMatch(rule -> rule.getApiGroups().contains("")
            && rule.getResources().contains(resource) && rule.getVerbs().containsAll(List.of("get", "list")));
      }
      assertThat(rules).as("read-only").allMatch(rule -> Set.of("get", "list", "watch").containsAll(rule.getVerbs()));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void theHeadlessServiceListsEveryMemberUnderTheNameTheirConfigSays(String dir, @TempDir Path tmp) throws IOException {
    Rendered r = render(dir);
    Service cluster = r.service(CLUSTER_SERVICE);
    assertThat(cluster.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(cluster.getSpec().getPublishNotReadyAddresses()).as("not-ready members listed (ready comes after the join)").isTrue();
    assertThat(r.selectedBy(cluster.getSpec().getSelector())).as("members").containsExactlyInAnyOrderElementsOf(r.workloads());
    ServicePort port = cluster.getSpec().getPorts().get(0);
    assertThat(port.getTargetPort().getIntVal()).as("a number: pods that do not declare it stay listed").isEqualTo(port.getPort());
    String dns = CLUSTER_SERVICE + "." + NAMESPACE + "." + CLUSTER_DOMAIN;
    for (Workload w : r.workloads()) {
      for (Container c : w.containers()) {
        JsonObject cfg = effectiveConfig(r, w, c, tmp);
        ClusterOptions opts = ClusterOptions.fromSection(cfg.getJsonObject("cluster"));
        assertThat(opts.enabled()).as(w + " joins the cluster").isTrue();
        assertThat(opts.kubernetesServiceDns()).as(w + " cluster.kubernetesServiceDns").isEqualTo(dns);
        assertThat(opts.port()).as(w + " cluster.port = the headless Service's").isEqualTo(port.getPort());
        assertThat(opts.host()).as(w + " cluster.host: the pod's address (BOOTTORRENT_CLUSTER_HOST)").isEqualTo(w.podIp());
        if (!w.hostNetwork()) {
          assertThat(containerPort(c, new IntOrString("hazelcast")).map(ContainerPort::getContainerPort))
              .as(w + " hazelcast containerPort").contains(opts.port());
        }
      }
    }
  }

  /**
   * Each container's command line, config file and environment, read as `serve` reads them: every key
   * of the mounted boottorrent.yaml and every BOOTTORRENT_* variable is a key of the embedded defaults,
   * every service's options build, and the ports the config makes them listen on are the ones the
   * container declares (the Services and probes point at).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void everyContainersConfigIsReadByServeAndAgreesWithItsPorts(String dir, @TempDir Path tmp) throws IOException {
    Rendered r = render(dir);
    for (Workload w : r.workloads()) {
      for (Container c : w.containers()) {
        String who = w + "/" + c.getName();
        assertThat(c.getCommand()).as(who + ": the image's entrypoint (bin/boottorrent) runs").isNullOrEmpty();
        ServeCommand serve = serve(c);
        assertThat(serve.cluster).as(who + " --cluster").isTrue();
        JsonObject cfg = effectiveConfig(r, w, c, tmp);
        Map<String, String> env = environment(r, w, c);
        List<String> unknown = new ArrayList<>(EnvOverrides.unknown(cfg, env));
        assertThat(unknown).as(who + ": variables that match no config key").isEmpty();
        Services.assemble(cfg, serve.services); // throws on a bad or unknown key of these services
        HealthOptions health = HealthOptions.fromSection(cfg.getJsonObject("health"));
        assertThat(containerPort(c, new IntOrString("health")).map(ContainerPort::getContainerPort))
            .as(who + " health containerPort = health.port").contains(health.port());
        for (String service : serve.services) {
          String[] listen = LISTEN_PORTS.get(service);
          int configured = cfg.getJsonObject(listen[0]).getInteger(listen[1]);
          assertThat(containerPort(c, new IntOrString(listen[2])).map(ContainerPort::getContainerPort))
              .as(who + " containerPort " + listen[2] + " = " + listen[0] + "." + listen[1]).contains(configured);
        }
        for (String writable : writableDirs(cfg, serve.services)) {
          assertThat(volumeAt(r, w, c, writable)).as(who + ": " + writable + " on a volume").isPresent();
        }
      }
    }
  }

  /** What the pods' configs say about each other: announce URL, catalog and telemetry ports vs the Services. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void theConfigsUrlsUseTheServicesPorts(String dir, @TempDir Path tmp) throws IOException {
    Rendered r = render(dir);
    Workload catalog = r.workload("catalog");
    JsonObject cfg = effectiveConfig(r, catalog, catalog.containers().get(0), tmp);
    assertThat(r.service("boottorrent-catalog").getSpec().getPorts().get(0).getPort())
        .isEqualTo(cfg.getJsonObject("catalog").getInteger("httpPort"));
    assertThat(r.service("boottorrent-telemetry").getSpec().getPorts().get(0).getPort())
        .isEqualTo(cfg.getJsonObject("telemetry").getInteger("httpPort"));
    int trackerPort = r.service("boottorrent-tracker").getSpec().getPorts().get(0).getPort();
    List<String> trackers = ServiceLinks.announceUrls(cfg);
    assertThat(trackers).isNotEmpty().allSatisfy(url -> {
      assertThat(URI.create(url).getPort()).as(url + ": the tracker Service's port").isEqualTo(trackerPort);
      assertThat(URI.create(url).getPath()).isEqualTo("/announce");
    });
  }

  @Test
  void devRunsOneOfEachWithoutClaimOrAutoscaler() {
    Rendered dev = render("overlays/dev");
    assertThat(dev.of(HorizontalPodAutoscaler.class)).isEmpty();
    for (Workload w : dev.workloads()) {
      if (!(w.owner() instanceof DaemonSet)) {
        assertThat(w.replicas()).as(w + " replicas").isEqualTo(1);
      }
      assertThat(w.claims()).as(w + " claims").isEmpty();
    }
    assertThat(dev.of(Service.class)).allMatch(s -> s.getSpec().getType() == null || s.getSpec().getType().equals("ClusterIP"));
  }

  @Test
  void productionRunsTwoTrackersTwoOrMoreSeedersAndAPersistentCatalog() {
    Rendered prod = render("overlays/production");
    assertThat(prod.workload("tracker").replicas()).isEqualTo(2);
    HorizontalPodAutoscaler hpa = prod.of(HorizontalPodAutoscaler.class).stream().findFirst().orElseThrow();
    assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(prod.workload("seeder").owner().getMetadata().getName());
    assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
    Workload catalog = prod.workload("catalog");
    assertThat(catalog.owner()).isInstanceOf(StatefulSet.class);
    assertThat(catalog.replicas()).isEqualTo(1);
    assertThat(catalog.claims()).hasSize(1);
    Quantity storage = catalog.claims().get(0).getSpec().getResources().getRequests().get("storage");
    assertThat(storage.getNumericalAmount()).isGreaterThanOrEqualTo(Quantity.getAmountInBytes(new Quantity("100Gi")));
    Service tracker = prod.service("boottorrent-tracker");
    assertThat(tracker.getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(tracker.getSpec().getExternalTrafficPolicy()).as("announce source addresses kept").isEqualTo("Local");
    assertThat(prod.service("boottorrent-catalog").getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(prod.of(PodDisruptionBudget.class)).anySatisfy(pdb ->
        assertThat(prod.selectedBy(pdb.getSpec().getSelector().getMatchLabels())).containsExactly(prod.workload("tracker")));
    // production's own config and secret replace the base's
    assertThat(readString(repoRoot().resolve("k8s/overlays/production/boottorrent.yaml")))
        .isNotEqualTo(readString(repoRoot().resolve("k8s/base/boottorrent.yaml")));
  }

  // ---- where secrets live (docs/SECURITY.md "Where secrets live") ----

  /** A PEM block, a bearer token, or a config key that names a secret and holds a value. */
  private static final Pattern PEM = Pattern.compile("-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE)-----");
  private static final Pattern TOKEN = Pattern.compile("btk_[A-Za-z0-9_-]{16,}");
  private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(secret|token|password|passphrase|privatekey).*");

  /** What in a ConfigMap's value looks like a secret: each finding names where it is. */
  static List<String> secretLike(String where, String text) {
    List<String> found = new ArrayList<>();
    if (PEM.matcher(text).find()) {
      found.add(where + ": a PEM certificate or private key");
    }
    if (TOKEN.matcher(text).find()) {
      found.add(where + ": a bearer token (btk_…)");
    }
    if (where.endsWith(".yaml") || where.endsWith(".yml")) {
      Object tree = new org.yaml.snakeyaml.Yaml().load(text);
      secretKeys(tree, "", where, found);
    }
    return found;
  }

  private static void secretKeys(Object node, String path, String where, List<String> found) {
    if (node instanceof Map<?, ?> map) {
      map.forEach((k, v) -> {
        String key = path.isEmpty() ? String.valueOf(k) : path + "." + k;
        if (SECRET_KEY.matcher(String.valueOf(k)).matches() && v != null && !(v instanceof Map)
            && !String.valueOf(v).isEmpty()) {
          found.add(where + ": " + key + " holds a value (secrets go in a Secret, as BOOTTORRENT_* variables or files)");
        }
        secretKeys(v, key, where, found);
      });
    } else if (node instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        secretKeys(list.get(i), path + "[" + i + "]", where, found);
      }
    }
  }

  @Test
  void theSecretScannerFindsWhatItLooksFor() {
    assertThat(secretLike("boottorrent.yaml", "cluster:\n  secret: hunter2hunter2hunter2\n")).singleElement()
        .asString().contains("cluster.secret holds a value");
    assertThat(secretLike("x.yaml", "a: \"-----BEGIN PRIVATE KEY-----\\nMIG\\n-----END PRIVATE KEY-----\"\n"))
        .anySatisfy(f -> assertThat(f).contains("PEM"));
    assertThat(secretLike("notes", "token btk_0123456789abcdef0123456789abcdef")).singleElement().asString().contains("bearer token");
    // the shipped shape: an empty secret, TLS material named by path
    assertThat(secretLike("boottorrent.yaml", "cluster:\n  secret: \"\"\ncatalog:\n  tlsKey: /etc/boottorrent-tls/tls.key\n")).isEmpty();
  }

  /**
   * No ConfigMap holds a key, token, certificate or secret value, and every environment variable named
   * like a secret comes from a Secret.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void noSecretIsInAConfigMapOrAPlainEnvironmentVariable(String dir) {
    Rendered r = render(dir);
    List<String> found = new ArrayList<>();
    for (ConfigMap map : r.of(ConfigMap.class)) {
      Objects.requireNonNullElse(map.getData(), Map.<String, String>of())
          .forEach((key, value) -> found.addAll(secretLike(name(map) + " " + key, value)));
      assertThat(map.getBinaryData()).as(name(map) + " binaryData").isNullOrEmpty();
    }
    assertThat(found).as(dir + ": secret-like values in ConfigMaps").isEmpty();
    for (Workload w : r.workloads()) {
      for (Container c : w.allContainers()) {
        for (EnvVar v : Objects.requireNonNullElse(c.getEnv(), List.<EnvVar>of())) {
          if (v.getName().matches("(?i).*(SECRET|TOKEN|PASSWORD|_KEY)$")) {
            assertThat(v.getValueFrom() == null ? null : v.getValueFrom().getSecretKeyRef())
                .as(w + "/" + c.getName() + " env " + v.getName() + " from a Secret").isNotNull();
          }
        }
      }
    }
  }

  /**
   * Every TLS file a container's config names (catalog, telemetry, cluster: tlsCert, tlsKey, tlsCa) is
   * in a Secret volume, mounted read-only, with no permission for others; from a Secret of type
   * kubernetes.io/tls when the Secret is the operator's (tls.crt, tls.key, ca.crt).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void tlsMaterialComesFromASecretVolumeOnlyTheServiceUserCanRead(String dir, @TempDir Path tmp) throws IOException {
    Rendered r = render(dir);
    for (Workload w : r.workloads()) {
      for (Container c : w.containers()) {
        JsonObject cfg = effectiveConfig(r, w, c, tmp);
        List<String> sections = new ArrayList<>(List.of("cluster"));
        serve(c).services.stream().filter(s -> s.equals("catalog") || s.equals("telemetry")).forEach(sections::add);
        for (String section : sections) {
          for (String key : List.of("tlsCert", "tlsKey", "tlsCa")) {
            String file = cfg.getJsonObject(section).getString(key, "");
            if (file.isEmpty()) {
              continue;
            }
            String who = w + "/" + c.getName() + " " + section + "." + key + " " + file;
            VolumeMount mount = mountOf(c, file).orElseThrow(() -> new AssertionError(who + ": nothing mounted there"));
            assertThat(mount.getReadOnly()).as(who + ": mounted read-only").isTrue();
            Volume volume = volume(w, mount.getName());
            assertThat(volume.getSecret()).as(who + ": from a Secret volume").isNotNull();
            int mode = Objects.requireNonNullElse(volume.getSecret().getDefaultMode(), 0644);
            assertThat(mode & 0007).as(who + ": defaultMode " + Integer.toOctalString(mode) + " gives others nothing").isZero();
            assertThat(mode & 0040).as(who + ": the pod's fsGroup (the service user's group) may read it").isNotZero();
            assertThat(w.template().getSpec().getSecurityContext().getFsGroup()).as(who + ": fsGroup").isNotNull();
            String inVolume = Path.of(mount.getMountPath()).relativize(Path.of(file)).toString();
            Optional<Secret> rendered = r.of(Secret.class).stream()
                .filter(s -> s.getMetadata().getName().equals(volume.getSecret().getSecretName())).findFirst();
            if (rendered.isPresent()) {
              assertThat(rendered.get().getData()).as(who + ": key in Secret").containsKey(inVolume);
            } else {
              assertThat(inVolume).as(who + ": a key of a kubernetes.io/tls Secret").isIn("tls.crt", "tls.key", "ca.crt");
            }
          }
        }
      }
    }
  }

  /**
   * Production serves the catalog's API and the dashboard over TLS, keeps /boot/ and iPXE on plain HTTP,
   * closes reads, and keeps the key ring and the token store (the data dir's catalog/) on the claim.
   */
  @Test
  void productionServesTheApiAndTheDashboardOverTlsAndKeepsTheCatalogsSecretsOnItsClaim(@TempDir Path tmp) throws IOException {
    Rendered prod = render("overlays/production");
    Workload catalog = prod.workload("catalog");
    Container c = catalog.containers().get(0);
    JsonObject cfg = effectiveConfig(prod, catalog, c, tmp);
    JsonObject cat = cfg.getJsonObject("catalog");
    assertThat(cat.getString("tlsCert")).isNotEmpty();
    assertThat(cfg.getJsonObject("telemetry").getString("tlsCert")).isNotEmpty();
    assertThat(cfg.getJsonObject("auth").getBoolean("openReads")).isFalse();
    assertThat(containerPort(c, new IntOrString("catalog-tls")).map(ContainerPort::getContainerPort))
        .contains(cat.getInteger("httpsPort"));
    assertThat(prod.service("boottorrent-catalog").getSpec().getPorts()).extracting(ServicePort::getPort)
        .containsExactly(cat.getInteger("httpPort"), cat.getInteger("httpsPort"));
    assertThat(ServiceLinks.catalogUrl(cfg)).startsWith("https://");
    assertThat(cfg.getJsonObject("dhcp").getString("ipxeScriptUrl")).startsWith("http://").contains("{httpPort}");
    String secrets = cfg.getString("dataDir") + "/catalog";
    assertThat(volumeAt(prod, catalog, c, secrets)).as(secrets + " (keys.pb, tokens.pb, admin.token)").contains("claim data");
  }

  @Test
  void theOldFlatManifestsAreGone() throws IOException {
    try (Stream<Path> top = Files.list(repoRoot().resolve("k8s"))) {
      assertThat(top.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .as("k8s/ holds base/, overlays/ and the README only").containsExactly("README.md");
    }
  }

  // ---- reading the rendered objects ----

  /** One workload: its owner, selector, pod template and claim templates. */
  record Workload(HasMetadata owner, LabelSelector selector, PodTemplateSpec template, Integer replicas,
      List<PersistentVolumeClaim> claims) {
    String component() {
      return labels().getOrDefault("app.kubernetes.io/component", owner.getMetadata().getName());
    }

    Map<String, String> labels() {
      return template.getMetadata().getLabels() == null ? Map.of() : template.getMetadata().getLabels();
    }

    List<Container> containers() {
      return template.getSpec().getContainers();
    }

    List<Container> allContainers() {
      List<Container> all = new ArrayList<>(containers());
      if (template.getSpec().getInitContainers() != null) {
        all.addAll(template.getSpec().getInitContainers());
      }
      return all;
    }

    boolean hostNetwork() {
      return Boolean.TRUE.equals(template.getSpec().getHostNetwork());
    }

    String podIp() {
      return hostNetwork() ? NODE_IP : POD_IP;
    }

    @Override
    public String toString() {
      return name(owner);
    }
  }

  record Rendered(String dir, List<HasMetadata> objects) {
    <T extends HasMetadata> List<T> of(Class<T> type) {
      return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    List<Workload> workloads() {
      List<Workload> out = new ArrayList<>();
      of(Deployment.class).forEach(d -> out.add(new Workload(d, d.getSpec().getSelector(), d.getSpec().getTemplate(),
          d.getSpec().getReplicas(), List.of())));
      of(StatefulSet.class).forEach(s -> out.add(new Workload(s, s.getSpec().getSelector(), s.getSpec().getTemplate(),
          s.getSpec().getReplicas(), Objects.requireNonNullElse(s.getSpec().getVolumeClaimTemplates(), List.of()))));
      of(DaemonSet.class).forEach(d -> out.add(new Workload(d, d.getSpec().getSelector(), d.getSpec().getTemplate(),
          null, List.of())));
      return out;
    }

    Workload workload(String component) {
      return workloads().stream().filter(w -> w.component().equals(component)).findFirst()
          .orElseThrow(() -> new AssertionError(dir + ": no workload " + component));
    }

    /** The workloads whose pods a label selector (a Service's) selects. */
    List<Workload> selectedBy(Map<String, String> selector) {
      if (selector == null || selector.isEmpty()) {
        return List.of();
      }
      return workloads().stream().filter(w -> w.labels().entrySet().containsAll(selector.entrySet())).toList();
    }

    Service service(String name) {
      return of(Service.class).stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError(dir + ": no Service " + name));
    }

    <T extends HasMetadata> T named(Class<T> type, String name) {
      return of(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError(dir + ": no " + type.getSimpleName() + " " + name));
    }
  }

  static Rendered render(String dir) {
    return RENDERED.computeIfAbsent(dir, d -> {
      try {
        Path out = Files.createTempFile("kustomize-", ".yaml");
        try {
          Proc.Result result = Proc.exec(Duration.ofSeconds(60), kubectl.toString(), "kustomize",
              repoRoot().resolve("k8s").resolve(d).toString(), "--output", out.toString());
          assertThat(result.exit()).as("kubectl kustomize k8s/" + d + ":\n" + result.output()).isZero();
          Object parsed = Serialization.unmarshal(Files.readString(out));
          List<HasMetadata> objects = new ArrayList<>();
          if (parsed instanceof Collection<?> many) {
            many.forEach(o -> objects.add((HasMetadata) o));
          } else {
            objects.add((HasMetadata) parsed);
          }
          return new Rendered(d, List.copyOf(objects));
        } finally {
          Files.deleteIfExists(out);
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });
  }

  /**
   * Fields the model kept as "additional properties" because no class field has their name: in a
   * manifest that is a typo or a field of another kind, which kubectl apply would reject or drop.
   */
  static List<String> unknownFields(Object node, String path) {
    List<String> out = new ArrayList<>();
    walk(node, path, out);
    return out;
  }

  private static void walk(Object node, String path, List<String> out) {
    if (node instanceof Collection<?> list) {
      int i = 0;
      for (Object item : list) {
        walk(item, path + "[" + i++ + "]", out);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walk(v, path + "." + k, out));
      return;
    }
    if (node == null || !node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method m : node.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class
          || !(m.getName().startsWith("get") || m.getName().startsWith("is"))) {
        continue;
      }
      Object value;
      try {
        value = m.invoke(node);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue; // a computed getter (Quantity's amount in bytes of an odd format): not a field
      }
      if (m.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          out.add(path + ": " + extra.keySet());
        }
      } else {
        String field = m.getName().startsWith("is") ? m.getName().substring(2) : m.getName().substring(3);
        walk(value, path + "." + Character.toLowerCase(field.charAt(0)) + field.substring(1), out);
      }
    }
  }

  static Optional<ContainerPort> containerPort(Container c, IntOrString port) {
    if (c.getPorts() == null) {
      return Optional.empty();
    }
    return c.getPorts().stream().filter(p -> port.getIntVal() != null
        ? Objects.equals(p.getContainerPort(), port.getIntVal())
        : port.getStrVal().equals(p.getName())).findFirst();
  }

  private static String protocol(String protocol) {
    return protocol == null ? "TCP" : protocol;
  }

  // ---- a container's `serve` ----

  /** A container's arguments as `serve` parses them (its options, by picocli, exactly as the CLI does). */
  static ServeCommand serve(Container c) {
    List<String> args = c.getArgs();
    assertThat(args).as(c.getName() + " args").isNotEmpty();
    assertThat(args.get(0)).as(c.getName() + ": the command").isEqualTo("serve");
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
    return serve;
  }

  /** The container's environment, fieldRefs filled in as the kubelet would, secret and config-map refs resolved. */
  static Map<String, String> environment(Rendered r, Workload w, Container c) {
    Map<String, String> env = new TreeMap<>();
    for (EnvVar v : Objects.requireNonNullElse(c.getEnv(), List.<EnvVar>of())) {
      if (v.getValueFrom() == null) {
        env.put(v.getName(), Objects.requireNonNullElse(v.getValue(), ""));
        continue;
      }
      var from = v.getValueFrom();
      String who = w + " env " + v.getName();
      if (from.getFieldRef() != null) {
        String field = from.getFieldRef().getFieldPath();
        env.put(v.getName(), switch (field) {
          case "status.podIP" -> w.podIp();
          case "status.hostIP" -> NODE_IP;
          case "metadata.name" -> w.owner().getMetadata().getName() + "-0";
          case "metadata.namespace" -> NAMESPACE;
          default -> fail(who + ": fieldRef " + field + " not simulated here");
        });
      } else if (from.getSecretKeyRef() != null) {
        var ref = from.getSecretKeyRef();
        Secret secret = r.named(Secret.class, ref.getName());
        Map<String, String> data = new LinkedHashMap<>();
        Objects.requireNonNullElse(secret.getData(), Map.<String, String>of())
            .forEach((k, b64) -> data.put(k, new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8)));
        Objects.requireNonNullElse(secret.getStringData(), Map.<String, String>of()).forEach(data::put);
        if (data.containsKey(ref.getKey())) {
          env.put(v.getName(), data.get(ref.getKey()));
        } else {
          assertThat(ref.getOptional()).as(who + ": key " + ref.getKey() + " missing from Secret " + ref.getName()).isTrue();
        }
      } else if (from.getConfigMapKeyRef() != null) {
        var ref = from.getConfigMapKeyRef();
        String value = r.named(ConfigMap.class, ref.getName()).getData().get(ref.getKey());
        assertThat(value != null || Boolean.TRUE.equals(ref.getOptional())).as(who).isTrue();
        if (value != null) {
          env.put(v.getName(), value);
        }
      } else {
        fail(who + ": valueFrom not simulated here");
      }
    }
    // every variable the container declares counts, whatever its value (an empty secret included)
    for (EnvVar v : Objects.requireNonNullElse(c.getEnv(), List.<EnvVar>of())) {
      env.putIfAbsent(v.getName(), "");
    }
    return env;
  }

  /**
   * The config tree of the container's `serve`: its --config file taken from the ConfigMap mounted
   * there, its environment, --data-dir and --cluster, through {@link ServeCommand#loadConfig}.
   */
  static JsonObject effectiveConfig(Rendered r, Workload w, Container c, Path tmp) throws IOException {
    ServeCommand serve = serve(c);
    assertThat(serve.config).as(w + ": --config").isNotNull();
    String configPath = serve.config.toString();
    VolumeMount mount = mountOf(c, configPath).orElseThrow(() -> new AssertionError(w + ": nothing mounted at " + configPath));
    Volume volume = volume(w, mount.getName());
    assertThat(volume.getConfigMap()).as(w + ": " + configPath + " from a ConfigMap").isNotNull();
    assertThat(volume.getConfigMap().getItems()).isNullOrEmpty();
    ConfigMap map = r.named(ConfigMap.class, volume.getConfigMap().getName());
    String key = Path.of(mount.getMountPath()).relativize(Path.of(configPath)).toString();
    String text = map.getData().get(key);
    assertThat(text).as(w + ": key " + key + " of ConfigMap " + name(map)).isNotNull();
    Path file = Files.createDirectories(tmp.resolve(w.component())).resolve(key);
    Files.writeString(file, text);
    return ServeCommand.loadConfig(file, serve.dataDir, serve.cluster, environment(r, w, c));
  }

  /** The folders the given services write to, under this config. */
  static List<String> writableDirs(JsonObject cfg, List<String> services) {
    List<String> dirs = new ArrayList<>();
    for (String service : services) {
      switch (service) {
        case "catalog", "telemetry", "dhcp" -> dirs.add(cfg.getString("dataDir"));
        case "seeder" -> {
          String own = cfg.getJsonObject("seeder").getString("dataDir");
          dirs.add(own.isEmpty() ? cfg.getString("dataDir") : own);
        }
        default -> { } // tracker: memory and the cluster map; tftp: reads only
      }
    }
    return dirs;
  }

  /** The writable volume (emptyDir or claim) a folder of the container lies on. */
  static Optional<String> volumeAt(Rendered r, Workload w, Container c, String dir) {
    return mountOf(c, dir).filter(m -> !Boolean.TRUE.equals(m.getReadOnly())).flatMap(m -> {
      boolean claim = w.claims().stream().anyMatch(pvc -> pvc.getMetadata().getName().equals(m.getName()));
      if (claim) {
        return Optional.of("claim " + m.getName());
      }
      Volume v = volume(w, m.getName());
      return v.getEmptyDir() != null || v.getPersistentVolumeClaim() != null ? Optional.of(m.getName()) : Optional.empty();
    });
  }

  private static Optional<VolumeMount> mountOf(Container c, String path) {
    return Objects.requireNonNullElse(c.getVolumeMounts(), List.<VolumeMount>of()).stream()
        .filter(m -> Path.of(path).startsWith(Path.of(m.getMountPath())))
        .max((a, b) -> Integer.compare(a.getMountPath().length(), b.getMountPath().length()));
  }

  private static Volume volume(Workload w, String name) {
    return Objects.requireNonNullElse(w.template().getSpec().getVolumes(), List.<Volume>of()).stream()
        .filter(v -> v.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(w + ": no volume " + name));
  }

  // ---- the repository ----

  /** The uid and gid of the Dockerfile's USER (numeric, so runAsNonRoot can check it). */
  static String[] dockerfileUser() {
    String user = readString(repoRoot().resolve("deploy/Dockerfile")).lines()
        .filter(l -> l.startsWith("USER ")).map(l -> l.substring(5).trim()).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("deploy/Dockerfile: no USER"));
    assertThat(user).as("Dockerfile USER uid:gid").matches("\\d+:\\d+");
    return user.split(":");
  }

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !(Files.isDirectory(p.resolve("k8s")) && Files.isRegularFile(p.resolve("mvnw")))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("repository root (with k8s/ and mvnw) not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  static String readString(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static String name(HasMetadata o) {
    return o.getKind() + "/" + o.getMetadata().getName();
  }
}
