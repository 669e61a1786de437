using MLOps.Web.Features.Evaluation;

namespace MLOps.Web.Tests.Unit.Evaluation;

public sealed class LogisticFitTests
{
    [Theory]
    [InlineData(12.0, -4.0)]
    [InlineData(25.0, -9.5)]
    [InlineData(-6.0, 1.5)]
    public void The_fit_recovers_known_a_and_b_from_synthetic_labels(double a, double b)
    {
        // cosines spread like a sentence encoder's (about -0.1 .. 0.7); labels drawn from the true curve
        var random = new Random(1234);
        var n = 40_000;
        var x = new double[n];
        var y = new bool[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = -0.1 + (0.8 * random.NextDouble());
            y[i] = random.NextDouble() < 1 / (1 + Math.Exp(-((a * x[i]) + b)));
        }

        var (fa, fb, iterations) = LogisticFit.Fit(x, y);

        Assert.InRange(fa, a - (Math.Abs(a) * 0.08), a + (Math.Abs(a) * 0.08));
        Assert.InRange(fb, b - Math.Max(0.3, Math.Abs(b) * 0.08), b + Math.Max(0.3, Math.Abs(b) * 0.08));
        Assert.InRange(iterations, 1, 50);
    }

    [Fact]
    public void The_fitted_curve_has_lower_log_loss_than_an_uncalibrated_cosine_mapping()
    {
        var random = new Random(7);
        var x = Enumerable.Range(0, 5000).Select(_ => random.NextDouble() * 0.6).ToArray();
        var y = x.Select(c => random.NextDouble() < LogisticFit.Sigmoid((15 * c) - 5)).ToArray();
        var (a, b, _) = LogisticFit.Fit(x, y);

        var raw = x.Select(c => LogisticFit.Sigmoid(c)).ToArray();
        var fitted = x.Select(c => LogisticFit.Sigmoid((a * c) + b)).ToArray();
        Assert.True(LogisticFit.LogLoss(fitted, y) < LogisticFit.LogLoss(raw, y));
        Assert.True(LogisticFit.Brier(fitted, y) < LogisticFit.Brier(raw, y));
    }

    [Fact]
    public void Perfectly_separable_labels_still_give_finite_coefficients()
    {
        double[] x = [0.1, 0.2, 0.3, 0.6, 0.7, 0.8];
        bool[] y = [false, false, false, true, true, true];
        var (a, b, _) = LogisticFit.Fit(x, y);
        Assert.True(double.IsFinite(a) && double.IsFinite(b));
        Assert.True(a > 0);
        Assert.True(LogisticFit.Sigmoid((a * 0.7) + b) > 0.9);
    }

    [Fact]
    public void Log_loss_and_brier_match_hand_computed_values()
    {
        // p = (0.8, 0.4), y = (1, 0): log-loss = -(ln 0.8 + ln 0.6) / 2 = (0.2231436 + 0.5108256) / 2 = 0.3669846
        // Brier = ((0.2)^2 + (0.4)^2) / 2 = 0.1
        Assert.Equal(0.3669846, LogisticFit.LogLoss([0.8, 0.4], [true, false]), 1e-6);
        Assert.Equal(0.1, LogisticFit.Brier([0.8, 0.4], [true, false]), 1e-12);
    }
}
