using k8s.Models;
using MLOps.Web.Tests.Deploy;

namespace MLOps.Web.Tests.Unit.Deploy;

/// <summary>
/// The manifest sets under k8s/ (parsed strictly, KubernetesManifestParsingTests) set only
/// configuration keys the app knows, keep the security settings, and size CPU to the inference
/// workers and threads. The probe paths are requested from the real
/// app in Integration/Deploy/PublishedAppContractTests.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly Lazy<IReadOnlyList<ManifestSet>> LazySets = new(KubernetesManifests.LoadSets);

    private static IReadOnlyList<ManifestSet> Sets => LazySets.Value;

    private static ManifestSet Single => Sets[0];

    private static ManifestSet ScaleOut => Sets[1];

    [Fact]
    public void The_single_replica_manifest_holds_deployment_service_configmap_and_data_claim()
    {
        var deployment = Assert.Single(Single.OfType<V1Deployment>());
        Assert.Single(Single.OfType<V1Service>());
        Assert.Single(Single.OfType<V1ConfigMap>());
        var claim = Assert.Single(Single.OfType<V1PersistentVolumeClaim>());
        Assert.Empty(Single.OfType<V1Secret>());

        var (_, container) = Assert.Single(Single.AppContainers());
        var dataDirectory = Single.EnvironmentOf(container)["Storage__DataDirectory"];
        var mount = Assert.Single(container.VolumeMounts, m => m.MountPath == dataDirectory);
        var volume = deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == mount.Name);
        Assert.Equal(claim.Metadata.Name, volume.PersistentVolumeClaim?.ClaimName);
    }

    [Fact]
    public void Every_env_key_the_manifests_set_for_the_app_is_a_configuration_key_it_reads()
    {
        var keys = ConfigurationKeys.Load();
        var unknown = Sets
            .SelectMany(set => set.AppContainers().SelectMany(a => set.EnvironmentOf(a.Container).Keys.Select(k => $"{k} ({set.Name})")))
            .Where(k => !keys.IsKnown(k[..k.IndexOf(' ', StringComparison.Ordinal)]))
            .Distinct()
            .ToList();
        Assert.True(unknown.Count == 0,
            $"Not configuration keys of the app (not in appsettings.json, in an options class, or a framework prefix): {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Every_configmap_key_is_a_configuration_key_and_every_configmap_is_used()
    {
        var keys = ConfigurationKeys.Load();
        foreach (var set in Sets)
        {
            var referenced = set.AppContainers()
                .SelectMany(a => a.Container.EnvFrom ?? [])
                .Select(e => e.ConfigMapRef?.Name)
                .ToHashSet();
            foreach (var map in set.OfType<V1ConfigMap>())
            {
                Assert.True(referenced.Contains(map.Metadata.Name), $"ConfigMap {map.Metadata.Name} in {set.Name} is referenced by the app's envFrom");
                var unknown = map.Data.Keys.Where(k => !keys.IsKnown(k)).ToList();
                Assert.True(unknown.Count == 0, $"ConfigMap {map.Metadata.Name} in {set.Name} sets unknown keys: {string.Join(", ", unknown)}");
            }

            Assert.All(referenced, name => Assert.NotNull(set.ConfigMap(name!)));
        }
    }

    [Fact]
    public void Configuration_keys_come_from_appsettings_and_from_options_classes()
    {
        var keys = ConfigurationKeys.Load();
        Assert.Contains("Storage__DataDirectory", keys.FromAppSettings);
        Assert.Contains("Hangfire__Queues__0", keys.FromAppSettings);
        Assert.Contains("Redis__Password", keys.FromOptions);
        Assert.True(keys.IsKnown("redis__connectionstring"));
        Assert.True(keys.IsKnown("ASPNETCORE_ENVIRONMENT"));
        Assert.True(keys.IsKnown("Logging__LogLevel__Default"));
        Assert.False(keys.IsKnown("Redis__ConnectionStrings"));
        Assert.False(keys.IsKnown("Storage__DataDir"));
    }

    [Fact]
    public void Every_workload_runs_non_root_read_only_without_capabilities_under_runtime_default_seccomp()
    {
        foreach (var set in Sets)
        {
            foreach (var (workload, _, template) in set.PodTemplates())
            {
                var pod = template.Spec.SecurityContext;
                Assert.NotNull(pod);
                Assert.True(pod.RunAsNonRoot == true, $"{workload}: pod runAsNonRoot");
                Assert.Equal("RuntimeDefault", pod.SeccompProfile?.Type);
                Assert.False(template.Spec.AutomountServiceAccountToken ?? true, $"{workload}: no service account token");
                foreach (var c in template.Spec.Containers.Concat(template.Spec.InitContainers ?? []))
                {
                    var sc = c.SecurityContext;
                    Assert.True(sc is not null, $"{workload}/{c.Name}: securityContext");
                    Assert.True(sc.ReadOnlyRootFilesystem == true, $"{workload}/{c.Name}: readOnlyRootFilesystem");
                    Assert.True(sc.AllowPrivilegeEscalation == false, $"{workload}/{c.Name}: allowPrivilegeEscalation false");
                    Assert.True(sc.RunAsNonRoot ?? pod.RunAsNonRoot ?? false, $"{workload}/{c.Name}: runAsNonRoot");
                    Assert.Contains("ALL", sc.Capabilities?.Drop ?? []);
                    Assert.Empty(sc.Capabilities?.Add ?? []);
                    Assert.Equal("RuntimeDefault", sc.SeccompProfile?.Type ?? pod.SeccompProfile?.Type);
                    Assert.NotEqual(true, sc.Privileged);
                }
            }
        }
    }

    [Fact]
    public void The_app_writes_only_to_an_empty_dir_tmp_and_its_data_volume()
    {
        foreach (var set in Sets)
        {
            foreach (var (deployment, container) in set.AppContainers())
            {
                var volumes = deployment.Spec.Template.Spec.Volumes.ToDictionary(v => v.Name);
                var dataDirectory = set.EnvironmentOf(container)["Storage__DataDirectory"];
                var writable = container.VolumeMounts.Where(m => m.ReadOnlyProperty != true).ToList();
                Assert.Equal(new[] { "/tmp", dataDirectory }.Order(StringComparer.Ordinal), writable.Select(m => m.MountPath).Order(StringComparer.Ordinal));
                Assert.NotNull(volumes[container.VolumeMounts.Single(m => m.MountPath == "/tmp").Name].EmptyDir);
                // Anything else is a read-only Secret (API keys), optional so the app starts without it.
                Assert.All(container.VolumeMounts.Except(writable), m => Assert.True(volumes[m.Name].Secret is { Optional: true }, m.Name));
            }
        }
    }

    [Fact]
    public void The_app_image_runs_as_the_dockerfiles_user_on_the_dockerfiles_port()
    {
        var imagePort = int.Parse(DockerfileContractTests.RuntimeEnvironment()["ASPNETCORE_HTTP_PORTS"], System.Globalization.CultureInfo.InvariantCulture);
        foreach (var set in Sets)
        {
            foreach (var (deployment, container) in set.AppContainers())
            {
                // APP_UID of the aspnet base image; fsGroup makes the data volume writable to it.
                Assert.Equal(1654, deployment.Spec.Template.Spec.SecurityContext.RunAsUser);
                Assert.Equal(1654, deployment.Spec.Template.Spec.SecurityContext.FsGroup);
                var port = Assert.Single(container.Ports);
                Assert.Equal(imagePort, port.ContainerPort);
                // The data volume is mounted where the image declares its VOLUME.
                Assert.Equal(DockerfileContractTests.RuntimeEnvironment()["Storage__DataDirectory"], set.EnvironmentOf(container)["Storage__DataDirectory"]);
                var service = Assert.Single(set.OfType<V1Service>(), s => s.Metadata.Name == deployment.Metadata.Name);
                Assert.All(service.Spec.Selector, kv => Assert.Equal(kv.Value, deployment.Spec.Template.Metadata.Labels[kv.Key]));
                var servicePort = Assert.Single(service.Spec.Ports);
                Assert.True(servicePort.TargetPort.Value == port.Name || servicePort.TargetPort.Value == port.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"Service {service.Metadata.Name} targets the app's port");
            }
        }
    }

    [Fact]
    public void The_app_has_startup_readiness_and_liveness_probes_on_its_health_endpoints()
    {
        foreach (var set in Sets)
        {
            foreach (var (_, container) in set.AppContainers())
            {
                var port = container.Ports.Single();
                foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
                {
                    Assert.NotNull(probe?.HttpGet);
                    Assert.True(probe.HttpGet.Port.Value == port.Name || probe.HttpGet.Port.Value == port.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Assert.True(probe.TimeoutSeconds is > 0 and < 10);
                }

                Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
                Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
                Assert.Contains(container.StartupProbe.HttpGet.Path, ProbePaths());
                // The startup probe covers the first start's model materialisation.
                Assert.True(container.StartupProbe.PeriodSeconds * container.StartupProbe.FailureThreshold >= 120, $"startup probe in {set.Name} allows at least 2 minutes");
            }
        }
    }

    [Fact]
    public void The_manifests_probe_both_health_endpoints()
    {
        Assert.Equal(["/healthz", "/readyz"], ProbePaths().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Cpu_request_and_limit_match_the_inference_workers_times_their_threads_and_memory_is_bounded()
    {
        foreach (var set in Sets)
        {
            foreach (var (_, container) in set.AppContainers())
            {
                var environment = set.EnvironmentOf(container);
                var threads = int.Parse(environment["Models__IntraOpNumThreads"]!, System.Globalization.CultureInfo.InvariantCulture)
                    * int.Parse(environment["Models__InferenceWorkers"]!, System.Globalization.CultureInfo.InvariantCulture);
                var requests = container.Resources.Requests;
                var limits = container.Resources.Limits;
                Assert.Equal(threads, requests["cpu"].ToDecimal());
                Assert.Equal(threads, limits["cpu"].ToDecimal());
                Assert.True(requests["memory"].ToDecimal() > 0);
                Assert.True(limits["memory"].ToDecimal() >= requests["memory"].ToDecimal());
            }
        }
    }

    [Fact]
    public void Secrets_come_from_secret_references_and_are_optional_on_embedded_defaults()
    {
        var (_, container) = Single.AppContainers().Single();
        var secretEnv = container.Env.Where(e => e.ValueFrom?.SecretKeyRef is not null).ToList();
        var names = secretEnv.Select(e => e.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "Trending__X__BearerToken", "Redis__Password", "Search__Elasticsearch__Username", "Search__Elasticsearch__Password" }, names);
        Assert.All(secretEnv, e => Assert.True(e.ValueFrom.SecretKeyRef.Optional == true, $"{e.Name} is optional: the embedded defaults need no Secret"));

        foreach (var set in Sets)
        {
            foreach (var (_, app) in set.AppContainers())
            {
                var env = set.EnvironmentOf(app);
                Assert.All(env.Where(kv => IsSecretName(kv.Key)), kv => Assert.True(kv.Value is null, $"{kv.Key} in {set.Name} comes from a Secret, not a literal"));
            }
        }
    }

    [Fact]
    public void The_single_replica_deployment_recreates_its_pod_because_its_data_claim_is_read_write_once()
    {
        var deployment = Single.OfType<V1Deployment>().Single();
        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Equal("Recreate", deployment.Spec.Strategy.Type);
    }

    [Fact]
    public void No_read_write_once_claim_is_shared_by_several_replicas()
    {
        foreach (var set in Sets)
        {
            var claims = set.OfType<V1PersistentVolumeClaim>().ToDictionary(c => c.Metadata.Name);
            foreach (var deployment in set.OfType<V1Deployment>())
            {
                foreach (var volume in deployment.Spec.Template.Spec.Volumes ?? [])
                {
                    if (volume.PersistentVolumeClaim is { } reference && claims.TryGetValue(reference.ClaimName, out var claim)
                        && !claim.Spec.AccessModes.Contains("ReadWriteMany"))
                    {
                        Assert.True(deployment.Spec.Replicas is null or 1, $"Deployment/{deployment.Metadata.Name} in {set.Name}: a ReadWriteOnce claim for more than one replica");
                        Assert.Equal("Recreate", deployment.Spec.Strategy?.Type);
                    }
                }
            }
        }
    }

    [Fact]
    public void Scale_out_runs_several_replicas_with_a_rolling_strategy_that_keeps_capacity()
    {
        var deployment = ScaleOut.OfType<V1Deployment>().Single(d => d.Metadata.Name == KubernetesManifests.AppContainerName);
        Assert.True(deployment.Spec.Replicas > 1);
        Assert.Equal("RollingUpdate", deployment.Spec.Strategy.Type);
        Assert.Equal("0", deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        Assert.NotEqual("0", deployment.Spec.Strategy.RollingUpdate.MaxSurge.Value);
        var budget = Assert.Single(ScaleOut.OfType<V1PodDisruptionBudget>());
        Assert.All(budget.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, deployment.Spec.Template.Metadata.Labels[kv.Key]));
        Assert.DoesNotContain(deployment.Spec.Template.Spec.Volumes, v => v.PersistentVolumeClaim is not null);
    }

    [Fact]
    public void Scale_out_switches_the_app_to_redis_and_elasticsearch_that_it_deploys()
    {
        var (_, container) = ScaleOut.AppContainers().Single();
        var env = ScaleOut.EnvironmentOf(container);
        var services = ScaleOut.OfType<V1Service>().ToDictionary(s => s.Metadata.Name);

        var redis = env["Redis__ConnectionString"]!.Split(',')[0].Split(':');
        Assert.True(services.TryGetValue(redis[0], out var redisService), $"Redis__ConnectionString names the Service {redis[0]}");
        Assert.Contains(redisService.Spec.Ports, p => p.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) == redis[1]);
        var redisSet = Assert.Single(ScaleOut.OfType<V1StatefulSet>(), s => s.Metadata.Name == redis[0]);
        Assert.NotEmpty(redisSet.Spec.VolumeClaimTemplates);
        var redisPassword = container.Env.Single(e => e.Name == "Redis__Password").ValueFrom.SecretKeyRef;
        var serverPassword = redisSet.Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "REDIS_PASSWORD").ValueFrom.SecretKeyRef;
        Assert.Equal((serverPassword.Name, serverPassword.Key), (redisPassword.Name, redisPassword.Key));

        Assert.Equal("elasticsearch", env["Search__Engine"]);
        var es = Assert.Single(ScaleOut.OfType<EckElasticsearch>());
        var url = new Uri(env["Search__Elasticsearch__Url"]!);
        // ECK names the HTTP service <name>-es-http and serves plain HTTP when its TLS is disabled.
        Assert.Equal($"{es.Metadata!.Name}-es-http", url.Host);
        Assert.Equal(9200, url.Port);
        Assert.Equal(url.Scheme == "http", es.Spec?.Http?.Tls?.SelfSignedCertificate?.Disabled == true);
        var esPassword = container.Env.Single(e => e.Name == "Search__Elasticsearch__Password").ValueFrom.SecretKeyRef;
        Assert.Equal($"{es.Metadata.Name}-es-elastic-user", esPassword.Name);
        Assert.Equal(env["Search__Elasticsearch__Username"], esPassword.Key);
        Assert.Contains(es.Spec!.NodeSets!, n => n.VolumeClaimTemplates?.Any(v => v.Metadata.Name == "elasticsearch-data") == true);
    }

    [Fact]
    public void Scale_out_reads_a_stream_source_once_through_the_leader_lease_with_a_required_token()
    {
        var (_, container) = ScaleOut.AppContainers().Single();
        var env = ScaleOut.EnvironmentOf(container);

        // A stream source (not push) on shared Redis: the replicas elect one reader (Trending:Leader).
        Assert.Contains(env["Trending__Source"], new[] { "x", "mastodon" });
        Assert.False(string.IsNullOrWhiteSpace(env["Redis__ConnectionString"]));
        var lease = TimeSpan.Parse(env["Trending__Leader__LeaseDuration"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(lease, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        if (env["Trending__Source"] == "x")
        {
            var token = container.Env.Single(e => e.Name == "Trending__X__BearerToken").ValueFrom.SecretKeyRef;
            Assert.True(token.Optional is null or false, "the x source does not start without its token");
        }
    }

    /// <summary>The paths the app's probes request, across every manifest.</summary>
    public static IReadOnlySet<string> ProbePaths() =>
        LazySets.Value.SelectMany(s => s.AppContainers())
            .SelectMany(a => new[] { a.Container.StartupProbe, a.Container.ReadinessProbe, a.Container.LivenessProbe })
            .Where(p => p?.HttpGet is not null)
            .Select(p => p.HttpGet.Path)
            .ToHashSet(StringComparer.Ordinal);

    private static bool IsSecretName(string key) =>
        key.EndsWith("Password", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith("Token", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith("ApiKey", StringComparison.OrdinalIgnoreCase);
}
