using MLOps.Web.Features.Training;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Tests.Unit.Training;

public sealed class FusionTrainerTests
{
    [Fact]
    public void The_ranker_weighs_the_features_that_carry_relevance_and_ranks_a_held_out_set_well()
    {
        var sets = SyntheticSets.Sets(4);

        var fitted = FusionTrainer.Train(sets.Take(3).ToList(), l2: 1, seed: 17, SyntheticSets.Prior);

        var w = fitted.Weights;
        Assert.True(w[0] > 0, $"semantic_z weight {w[0]}");
        Assert.True(w[4] > 0, $"bm25_by_max weight {w[4]}");
        var held = sets[3];
        var trained = FusionTrainer.Ndcg(held, w);
        var cosineOnly = FusionTrainer.Ndcg(held, [1, 0, 0, 0, 0]);
        var matchOnly = FusionTrainer.Ndcg(held, [0, 1, 0, 0, 0]);
        Assert.True(trained > 0.8, $"NDCG@10 {trained}");
        Assert.True(trained >= cosineOnly && trained > matchOnly, $"trained {trained}, z only {cosineOnly}, match only {matchOnly}");
    }

    [Fact]
    public void Platt_calibration_maps_relevant_rows_high_and_unjudged_rows_low()
    {
        var sets = SyntheticSets.Sets(3);

        var fusion = FusionTrainer.Train(sets, l2: 1, seed: 17, SyntheticSets.Prior).ToFusion("test");

        Assert.True(fusion.Alpha > 0);
        Assert.Equal(FusionTrainer.Features.Order(StringComparer.Ordinal), fusion.Weights.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(fusion.Problems());
        var set = sets[0];
        double Score(int i) => fusion.Calibrate(fusion.Fuse(FusionTrainer.Features.Select((f, j) => (f, (float)set.X[i][j])).ToDictionary(p => p.f, p => p.Item2)));
        var relevant = set.Rows.Where(i => set.Grades.GetValueOrDefault(set.Ids[i]) >= 2).Average(Score);
        var unjudged = set.Rows.Where(i => !set.Grades.ContainsKey(set.Ids[i])).Average(Score);
        Assert.True(relevant > 0.5 && unjudged < 0.2, $"relevant {relevant:F3}, unjudged {unjudged:F3}");
    }

    [Fact]
    public void Training_is_deterministic_for_a_given_seed_and_data()
    {
        var a = FusionTrainer.Train(SyntheticSets.Sets(3), l2: null, seed: 5, SyntheticSets.Prior);
        var b = FusionTrainer.Train(SyntheticSets.Sets(3), l2: null, seed: 5, SyntheticSets.Prior);

        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.Alpha, b.Alpha);
        Assert.Equal(a.Beta, b.Beta);
        Assert.Equal(a.L2, b.L2);
    }

    [Fact]
    public void The_inner_selection_holds_out_every_set_of_a_tag_together()
    {
        // a tag's two sets (as its whole-catalog and Family sets share judgments) and a second tag
        var whole = SyntheticSets.Set("aliens", 101) with { Tag = "aliens" };
        var family = SyntheticSets.Set("aliens-family", 102) with { Tag = "aliens" };
        var other = SyntheticSets.Set("sharks", 103) with { Tag = "sharks" };

        var chosen = FusionTrainer.Train([whole, family, other], l2: null, seed: 17, SyntheticSets.Prior);
        var oneTag = FusionTrainer.Train([whole, family], l2: null, seed: 17, SyntheticSets.Prior);

        // each candidate's inner figure: the aliens sets scored by weights fitted on sharks alone, sharks by weights fitted on both aliens sets
        foreach (var c in FusionTrainer.Candidates)
        {
            var fromOther = FusionTrainer.Fit([other], c, 17, SyntheticSets.Prior, default).W;
            var fromAliens = FusionTrainer.Fit([whole, family], c, 17, SyntheticSets.Prior, default).W;
            var expected = new[] { FusionTrainer.Ndcg(whole, fromOther), FusionTrainer.Ndcg(family, fromOther), FusionTrainer.Ndcg(other, fromAliens) }.Average();
            Assert.Equal(expected, chosen.InnerNdcg[FusionTrainer.CandidateName(c)], 12);
        }

        Assert.Contains("leave-one-tag-out over 2 training tags (3 sets)", chosen.ChosenBy, StringComparison.Ordinal);
        Assert.Empty(oneTag.InnerNdcg);
        Assert.Contains("two training tags", oneTag.ChosenBy, StringComparison.Ordinal);
    }

    [Fact]
    public void The_learner_and_its_setting_are_chosen_by_leave_one_tag_out_unless_l2_is_given()
    {
        var chosen = FusionTrainer.Train(SyntheticSets.Sets(3), l2: null, seed: 17, SyntheticSets.Prior);
        var given = FusionTrainer.Train(SyntheticSets.Sets(3), l2: 0.5, seed: 17, SyntheticSets.Prior);
        var single = FusionTrainer.Train(SyntheticSets.Sets(1), l2: null, seed: 17, SyntheticSets.Prior);

        var names = FusionTrainer.Candidates.Select(FusionTrainer.CandidateName).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), chosen.InnerNdcg.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(FusionTrainer.AscentLearner, string.Join(" ", names), StringComparison.Ordinal);
        Assert.Contains(FusionTrainer.PairwiseLearner, string.Join(" ", names), StringComparison.Ordinal);
        var chosenName = FusionTrainer.CandidateName(new FusionCandidate(chosen.Learner, chosen.L2, chosen.MinGain));
        Assert.Equal(chosen.InnerNdcg.Values.Max(), chosen.InnerNdcg[chosenName]);
        Assert.Contains("leave-one-tag-out over 3 training tags (3 sets)", chosen.ChosenBy, StringComparison.Ordinal);
        Assert.Equal((FusionTrainer.PairwiseLearner, 0.5, "request"), (given.Learner, given.L2, given.ChosenBy));
        Assert.Equal((FusionTrainer.AscentLearner, (double?)FusionTrainer.MinGainGrid[0]), (single.Learner, single.MinGain));
        Assert.Contains("two training tags", single.ChosenBy, StringComparison.Ordinal);
    }

    [Fact]
    public void Coordinate_ascent_climbs_away_from_a_bad_start_and_keeps_the_semantic_weight()
    {
        var sets = SyntheticSets.Sets(3);
        double[] trap = [1, 4, 0, 0, 0, 0]; // match alone is the synthetic sets' trap

        var w = CoordinateAscent.Fit(sets, trap, minGain: 0.001);

        Assert.Equal(1, w[0]);
        Assert.True(w[1] < trap[1] || w[4] > trap[4], $"w [{string.Join(", ", w)}]");
        Assert.True(CoordinateAscent.MeanNdcg(sets, w) > CoordinateAscent.MeanNdcg(sets, trap) + 0.01,
            $"NDCG {CoordinateAscent.MeanNdcg(sets, w):F3} from {CoordinateAscent.MeanNdcg(sets, trap):F3}");
        Assert.Equal(w, CoordinateAscent.Fit(sets, trap, minGain: 0.001));
    }

    [Fact]
    public void Coordinate_ascent_keeps_the_start_when_no_move_gains_the_minimum()
    {
        var sets = SyntheticSets.Sets(2);

        Assert.Equal(SyntheticSets.Prior, CoordinateAscent.Fit(sets, SyntheticSets.Prior, minGain: 1.0));
    }

    [Fact]
    public void Coordinate_ascents_fast_ndcg_is_the_evaluations_ndcg_ties_included()
    {
        var sets = SyntheticSets.Sets(3);
        double[][] weights = [[1, 2, 0, 0, 2, 0], [1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [1, -1, 0.5, 2, -2, 1]];

        foreach (var w in weights)
        {
            Assert.Equal(sets.Average(s => FusionTrainer.Ndcg(s, w)), CoordinateAscent.MeanNdcg(sets, w), 12);
        }
    }

    [Fact]
    public void One_grade_only_is_refused_with_a_clear_reason()
    {
        var set = SyntheticSets.Set("flat", 1);
        var flat = set with { Grades = set.Grades.ToDictionary(g => g.Key, _ => 0, StringComparer.Ordinal), Rows = [.. set.Rows] };

        var e = Assert.Throws<TrainingDataException>(() => FusionTrainer.Train([flat], l2: 1, seed: 17, SyntheticSets.Prior));

        Assert.Contains("One class only", e.Message, StringComparison.Ordinal);
        Assert.Throws<TrainingDataException>(() => FusionTrainer.Train([], l2: 1, seed: 17, SyntheticSets.Prior));
    }

    [Fact]
    public void The_pair_weight_favours_the_top_grades()
    {
        // Feature 0 puts grade 3 above 2 and 1 (gain gaps 4 and 6); feature 1 puts grades 2 and 1 above 0 (gaps 3 and 1).
        // Unweighted, the two orders have two pairs each; weighted by the gain gap, feature 0's win (10 against 4).
        List<TrainingRow> rows = [new([1, 0], 3, 0), new([0, 1], 2, 0), new([0, 1], 1, 0), new([1, 0], 0, 0)];

        var w = PairwiseRanker.Fit(rows, l2: 1, seed: 17);

        Assert.True(w[0] > w[1], $"w {w[0]:F3} {w[1]:F3}: the top grades' order outweighs the bottom ones'");
    }

    [Fact]
    public void Training_rows_are_the_judged_the_first_pass_top_30_and_300_random_unjudged_documents()
    {
        var ids = Enumerable.Range(0, 1000).Select(i => $"d{i:D4}").ToList();
        var first = Enumerable.Range(0, 1000).Select(i => (double)i).ToArray();
        var grades = new Dictionary<string, int>(StringComparer.Ordinal) { ["d0001"] = 3, ["d0002"] = 0, ["d0999"] = 2 };

        var rows = TrainingRows.Select(ids, first, grades, seed: 17, group: 0);

        Assert.Equal(3 + 29 + 300, rows.Count); // d0999 is both judged and in the top 30
        Assert.Contains(1, rows);
        Assert.Contains(2, rows);
        Assert.All(Enumerable.Range(970, 30), i => Assert.Contains(i, rows));
        Assert.Equal(rows, TrainingRows.Select(ids, first, grades, seed: 17, group: 0));
        Assert.NotEqual(rows, TrainingRows.Select(ids, first, grades, seed: 18, group: 0));
        Assert.Equal(ScorePartNames.SemanticZ, FusionTrainer.Features[0]);
    }
}
