using System.Numerics.Tensors;
using MLOps.Web.Shared.Relevance;

namespace MLOps.Web.Tests.Unit.Relevance;

public sealed class PlanMathTests
{
    [Theory]
    [InlineData("", 2166136261u)]
    [InlineData("a", 0xE40C292Cu)]
    [InlineData("foobar", 0xBF9CF968u)]
    public void Fnv1a_matches_the_published_test_vectors(string text, uint expected) => Assert.Equal(expected, PlanMath.Fnv1a(text));

    [Fact]
    public void The_sample_is_the_ids_whose_hash_is_0_modulo_every_or_everything_when_that_is_too_small()
    {
        var ids = Enumerable.Range(0, 5000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var sample = PlanMath.Sample(ids, 5, 200);
        Assert.All(sample, id => Assert.Equal(0u, PlanMath.Fnv1a(id) % 5));
        Assert.InRange(sample.Count, 900, 1100);
        Assert.Equal(sample, PlanMath.Sample([.. ids.AsEnumerable().Reverse()], 5, 200).Reverse()); // order of the catalog, not of chance

        Assert.Same(ids, PlanMath.Sample(ids, 5, 2000));
        Assert.Same(ids, PlanMath.Sample(ids, 1, 200));
    }

    [Fact]
    public void Moments_median_and_top_k_with_id_ties()
    {
        var (mean, std) = PlanMath.MeanStd([1f, 2f, 3f]);
        Assert.Equal(2f, mean, 6);
        Assert.Equal(Math.Sqrt(2.0 / 3), std, 6);
        Assert.Equal((0f, 1f), PlanMath.MeanStd([]));
        Assert.Equal(2.5f, PlanMath.Median([4f, 1f, 2f, 3f]));
        Assert.Equal(3f, PlanMath.Median([5f, 1f, 3f]));
        Assert.Equal(0f, PlanMath.Median([]));
        var scores = new Dictionary<string, double> { ["b"] = 1, ["a"] = 1, ["c"] = 2, ["d"] = 0 };
        Assert.Equal(["c", "a", "b"], PlanMath.TopK(scores, 3));
    }

    [Fact]
    public void One_template_keeps_its_vector_untouched_and_several_average_into_a_unit_vector()
    {
        float[] a = [0.6f, 0.8f, 0f];
        Assert.Same(a, PlanMath.Centroid([a]));
        var c = PlanMath.Centroid([a, [0f, 0f, 1f]]);
        Assert.Equal(1f, TensorPrimitives.Norm(c), 5);
        Assert.Equal(c[0] / 0.6f, c[2] / 1f, 4);
    }

    [Fact]
    public void Rocchio_moves_the_hypothesis_towards_the_top_documents()
    {
        float[] h = [1f, 0f];
        var moved = PlanMath.Rocchio(h, [[0f, 1f], [0f, 1f]], 1f);
        Assert.Equal(1f, TensorPrimitives.Norm(moved), 5);
        Assert.Equal(moved[0], moved[1], 5); // normalise(h + mean) = normalise([1, 1])
        Assert.Equal(PlanMath.Normalize([1f, 0f]), PlanMath.Rocchio(h, [], 1f));
    }

    [Fact]
    public void Cholesky_solves_a_symmetric_positive_definite_system()
    {
        var a = new double[,] { { 4, 2, 0.4 }, { 2, 5, 1 }, { 0.4, 1, 3 } };
        double[] x = [1, -2, 0.5];
        var y = new double[3];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                y[i] += a[i, j] * x[j];
            }
        }

        var solved = PlanMath.CholeskySolve(a, y);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(x[i], solved[i], 10);
        }
    }

    [Fact]
    public void Self_training_points_towards_the_positives_along_the_direction_the_negatives_vary_least()
    {
        // Negatives spread widely along axis 0 and little along axis 1; positives differ from them on both.
        var rnd = new Random(3);
        var negatives = Enumerable.Range(0, 400).Select(_ => new[] { (float)(rnd.NextDouble() * 2 - 1), (float)((rnd.NextDouble() - 0.5) * 0.1), 0f }).ToList();
        var positives = Enumerable.Range(0, 10).Select(_ => new[] { 0.5f, 0.5f, 0f }).ToList();
        float[] h = [0f, 0f, 1f];
        var mixed = PlanMath.SelfTraining(h, positives, negatives, shrink: 0.1, beta: 1f);
        Assert.Equal(1f, TensorPrimitives.Norm(mixed), 5);
        Assert.True(mixed[1] > 3 * Math.Abs(mixed[0]), $"the low-variance axis should dominate: {string.Join(", ", mixed)}");

        // Full shrinkage is Rocchio with a negative centroid: the mean difference's direction.
        var rocchioLike = PlanMath.SelfTraining(h, positives, negatives, shrink: 1, beta: 1f);
        Assert.True(rocchioLike[0] > 0.3f && rocchioLike[1] > 0.3f, string.Join(", ", rocchioLike));
    }
}
