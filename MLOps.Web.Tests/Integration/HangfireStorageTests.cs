using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Integration;

public sealed class HangfireStorageTests
{
    [Fact]
    public async Task Two_hosts_in_one_process_each_enqueue_into_their_own_storage()
    {
        await using var first = new MLOpsFactory(null);
        await using var second = new MLOpsFactory(null);
        _ = first.Services;
        _ = second.Services;

        var storageA = first.Services.GetRequiredService<JobStorage>();
        var storageB = second.Services.GetRequiredService<JobStorage>();
        Assert.NotSame(storageA, storageB);

        // Paused far in the future, so no server runs it.
        var id = first.Services.GetRequiredService<IBackgroundJobClient>()
            .Schedule(() => Console.WriteLine("only in the first host"), TimeSpan.FromDays(1));

        using var a = storageA.GetConnection();
        using var b = storageB.GetConnection();
        Assert.NotNull(a.GetJobData(id));
        Assert.Null(b.GetJobData(id));
    }
}
