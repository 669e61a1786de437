using MLOps.Web.Features.Evaluation;
using MLOps.Web.Shared.Models;
using MLOps.Web.Tests.Support;

namespace MLOps.Web.Tests.Unit.Evaluation;

public sealed class ManifestCalibrationTests
{
    private static ModelDescriptor In(string dir) => new("m@1", "m", "1", ModelKind.Embedding, "", dir);

    [Fact]
    public void The_history_reads_the_calibration_the_manifest_holds()
    {
        var dir = TempDirectory.Create("manifest");
        File.WriteAllText(Path.Combine(dir, "mlops-model.json"),
            """{"kind": "embedding", "Calibration": {"a": 10.5, "b": -3.25, "method": "logistic"}, "max_tokens": 256}""");

        var calibration = ManifestCalibration.Read(In(dir));

        Assert.NotNull(calibration);
        Assert.Equal(10.5, calibration.Value.GetProperty("a").GetDouble());
        Assert.Equal(-3.25, calibration.Value.GetProperty("b").GetDouble());
    }

    [Fact]
    public void A_missing_or_corrupt_manifest_gives_no_calibration()
    {
        var dir = TempDirectory.Create("manifest");
        Assert.Null(ManifestCalibration.Read(In(dir)));
        File.WriteAllText(Path.Combine(dir, "mlops-model.json"), "{ not json");
        Assert.Null(ManifestCalibration.Read(In(dir)));
        File.WriteAllText(Path.Combine(dir, "mlops-model.json"), """{"kind": "embedding"}""");
        Assert.Null(ManifestCalibration.Read(In(dir)));
        Assert.Null(ManifestCalibration.Read(null));
    }
}
