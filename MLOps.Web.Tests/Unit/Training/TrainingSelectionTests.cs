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

    [Fact]
    public void The_default_hold_back_draws_tags_and_keeps_each_tag_s_sets_together()
    {
        // five tags, each with a whole-catalog set and a Family set of the same tag
        IReadOnlyList<JudgedSet> sets = [.. new[] { "a", "b", "c", "d", "e" }.SelectMany(t => new[] { t, t + "-family" }.Select(n =>
            new JudgedSet(n, new JudgedQuery(n.EndsWith("-family", StringComparison.Ordinal) ? "Family" : null, t), new Dictionary<string, int> { ["x"] = 1 }, DateTimeOffset.UnixEpoch)))];

        foreach (var seed in new[] { 1, 2, 3, 17 })
        {
            var (train, held) = TrainingSelection.Split(sets, new TrainRequest(Seed: seed));

            Assert.Equal(4, held.Count); // ceil(5 tags / 4) = 2 tags, both sets of each
            Assert.Equal(2, held.Select(s => s.Query.Tag).Distinct().Count());
            Assert.Empty(train.Select(s => s.Query.Tag).Intersect(held.Select(s => s.Query.Tag)));
        }
    }

    [Fact]
    public void A_split_that_trains_on_one_set_of_a_tag_and_holds_back_another_is_refused()
    {
        IReadOnlyList<JudgedSet> sets = [.. Sets, new JudgedSet("a-family", new JudgedQuery("Family", "#A"), new Dictionary<string, int> { ["x"] = 2 }, DateTimeOffset.UnixEpoch)];

        var explicitSplit = Assert.Throws<TrainingDataException>(() => TrainingSelection.Split(sets, new TrainRequest(Train: ["a", "b"], HoldBack: ["a-family"])));
        var rest = Assert.Throws<TrainingDataException>(() => TrainingSelection.Split(sets, new TrainRequest(HoldBack: ["a"])));

        Assert.Equal("hold_back", explicitSplit.Field);
        Assert.Contains("a-family (held back) and a (trained on) judge the tag '#A'", explicitSplit.Message, StringComparison.Ordinal);
        Assert.Contains("a (held back) and a-family (trained on)", rest.Message, StringComparison.Ordinal);
        Assert.Equal(["a", "a-family"], Names(TrainingSelection.Split(sets, new TrainRequest(HoldBack: ["a", "a-family"])).HoldBack));
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
