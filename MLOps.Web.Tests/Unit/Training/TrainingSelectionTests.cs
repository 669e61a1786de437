using MLOps.Web.Features.Training;
using MLOps.Web.Shared.Evaluation;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Tests.Unit.Training;

public sealed class TrainingSelectionTests
{
    private static readonly IReadOnlyList<JudgedSet> Sets = [.. new[] { "a", "b", "c", "d", "e" }.Select(n =>
        new JudgedSet(n, new JudgedQuery(null, n), new Dictionary<string, int> { ["x"] = 1 }, DateTimeOffset.UnixEpoch))];

    private static string[] Names(IReadOnlyList<JudgedSet> sets) => [.. sets.Select(s => s.Name)];

    [Fact]
    public void Without_a_body_a_quarter_of_the_sets_is_held_back_by_the_seed_and_the_rest_trained_on()
    {
        var (train, held) = TrainingSelection.Split(Sets, new TrainRequest());

        Assert.Equal(2, held.Count); // ceil(5 / 4)
        Assert.Equal(3, train.Count);
        Assert.Empty(Names(train).Intersect(Names(held)));
        Assert.Equal(Names(held), Names(TrainingSelection.Split(Sets, new TrainRequest()).HoldBack));
    }

    [Fact]
    public void Named_sets_are_trained_on_or_held_back_and_the_rest_goes_to_the_other_side()
    {
        Assert.Equal(["b", "c", "d", "e"], Names(TrainingSelection.Split(Sets, new TrainRequest(HoldBack: ["a"])).Train));
        Assert.Equal(["c", "d", "e"], Names(TrainingSelection.Split(Sets, new TrainRequest(Train: ["a", "b"])).HoldBack));
        var (train, held) = TrainingSelection.Split(Sets, new TrainRequest(Train: ["a"], HoldBack: ["b"]));
        Assert.Equal(["a"], Names(train));
        Assert.Equal(["b"], Names(held));
    }

    [Fact]
    public void A_single_set_is_trained_on_and_nothing_is_held_back()
    {
        var (train, held) = TrainingSelection.Split(Sets.Take(1).ToList(), new TrainRequest());

        Assert.Single(train);
        Assert.Empty(held);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("hold_back")]
    public void Unknown_overlapping_or_missing_sets_are_refused_with_the_field(string field)
    {
        var unknown = field == "train" ? new TrainRequest(Train: ["zz"]) : new TrainRequest(HoldBack: ["zz"]);
        Assert.Equal(field, Assert.Throws<TrainingDataException>(() => TrainingSelection.Split(Sets, unknown)).Field);
        Assert.Equal("hold_back", Assert.Throws<TrainingDataException>(() => TrainingSelection.Split(Sets, new TrainRequest(["a"], ["a"]))).Field);
        Assert.Equal("judgments", Assert.Throws<TrainingDataException>(() => TrainingSelection.Split([], new TrainRequest())).Field);
        Assert.Equal("train", Assert.Throws<TrainingDataException>(() => TrainingSelection.Split(Sets, new TrainRequest(HoldBack: Names(Sets)))).Field);
    }
}
