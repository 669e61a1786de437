using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Tests.Support.Fakes;

namespace MLOps.Web.Tests.Unit.Relevance;

/// <summary>The chunk step by hand: a 2-D hypothesis, a plan with known statistics and hits.</summary>
public sealed class TagScoringTests
{
    private static TagPlan Plan(FusionModel fusion, IReadOnlyList<string>? coreMatches = null) => new()
    {
        Tag = "heist",
        Label = "heist",
        Field = "classification_heist",
        Fusion = fusion,
        Hypothesis = [1f, 0f],
        Mean = 0.2f,
        Std = 0.1f,
        Lexical = new Dictionary<string, float> { ["hit"] = 6f, ["weak"] = 2f },
        CoreMatches = coreMatches,
        LexicalMatches = 2,
        Bm25Median = 4f,
        Bm25Max = 6f,
        CatalogSize = 100,
    };

    [Fact]
    public void Features_are_the_z_scored_cosine_the_match_and_the_normalised_bm25()
    {
        var f = TagScoring.Features(Plan(FusionModel.FromOptions(new RelevanceOptions())), "hit", [0.5f, 0.866f]);
        Assert.Equal(0.5f, f[ScorePartNames.Cosine], 5);
        Assert.Equal(3f, f[ScorePartNames.SemanticZ], 4); // (0.5 - 0.2) / 0.1
        Assert.Equal(1f, f[ScorePartNames.Match]);
        Assert.Equal(6f, f[ScorePartNames.Bm25]);
        Assert.Equal(0.6f, f[ScorePartNames.Bm25Saturated], 5); // 6 / (6 + 4)
        Assert.Equal(1f, f[ScorePartNames.Bm25ByMax], 5);
        Assert.Equal((float)Math.Log(50), f[ScorePartNames.MatchIdf], 5); // ln(100 / 2)

        var miss = TagScoring.Features(Plan(FusionModel.FromOptions(new RelevanceOptions())), "other", [0.2f, 0.98f]);
        Assert.Equal(0f, miss[ScorePartNames.Match]);
        Assert.Equal(0f, miss[ScorePartNames.Bm25Saturated]);
        Assert.Equal(0f, miss[ScorePartNames.Bm25ByMax]);
        Assert.Equal(0f, miss[ScorePartNames.MatchIdf]);
    }

    [Fact]
    public void The_default_fusion_is_hand_set_z_plus_2_match_plus_2_bm25_by_best_through_the_calibration_sigmoid()
    {
        var o = new RelevanceOptions();
        var fusion = FusionModel.FromOptions(o);
        Assert.Equal(new Dictionary<string, double> { [ScorePartNames.SemanticZ] = 1, [ScorePartNames.Match] = 2, [ScorePartNames.Bm25ByMax] = 2 }, fusion.Weights);
        var scored = TagScoring.Score(Plan(fusion) with { TitleMatches = ["weak"] }, "weak", [0.3f, 0.954f], new FakeEmbeddingScorer());

        var fused = ((0.3 - 0.2) / 0.1) + 2 + (2 * (2.0 / 6)); // the title match weighs 0 in the default
        Assert.Equal(fused, scored.Parts[ScorePartNames.Fused], 4);
        Assert.Equal(1 / (1 + Math.Exp(-((o.Alpha * fused) + o.Beta))), scored.Score, 5);
        Assert.Equal(scored.Score, scored.Parts[ScorePartNames.Score]);
        Assert.Equal(4f, scored.Parts[ScorePartNames.Bm25Median]);
        Assert.Equal(6f, scored.Parts[ScorePartNames.Bm25Max]);
        Assert.False(scored.Parts.ContainsKey(ScorePartNames.Bm25Saturated));
    }

    [Fact]
    public void A_title_match_is_a_feature_of_its_own_and_a_negative_weight_discounts_it()
    {
        var fusion = FusionModel.FromOptions(new RelevanceOptions { TitleMatchWeight = -1 });
        Assert.Contains(ScorePartNames.TitleMatch, FusionModel.FeatureNames);

        // Two documents with the same cosine and BM25: the one whose title names the tag and the one that only mentions it.
        var plan = Plan(fusion) with { TitleMatches = ["hit"], Lexical = new Dictionary<string, float> { ["hit"] = 6f, ["body"] = 6f } };
        var inTitle = TagScoring.Score(plan, "hit", [0.3f, 0.954f], new FakeEmbeddingScorer());
        var inBody = TagScoring.Score(plan, "body", [0.3f, 0.954f], new FakeEmbeddingScorer());
        Assert.Equal(1f, inTitle.Parts[ScorePartNames.TitleMatch]);
        Assert.Equal(0f, inBody.Parts[ScorePartNames.TitleMatch]);
        Assert.Equal(-1, inTitle.Parts[ScorePartNames.Fused] - inBody.Parts[ScorePartNames.Fused], 4);
        Assert.True(inTitle.Score < inBody.Score, "TitleMatchWeight −1 discounts a BM25 earned by the title alone");
        var byDefault = Plan(FusionModel.FromOptions(new RelevanceOptions())) with { TitleMatches = ["hit"], Lexical = plan.Lexical };
        Assert.Equal(TagScoring.Score(byDefault, "body", [0.3f, 0.954f], new FakeEmbeddingScorer()).Score, TagScoring.Score(byDefault, "hit", [0.3f, 0.954f], new FakeEmbeddingScorer()).Score);

        // A plan stored before title matches were searched scores no title match at all.
        Assert.Equal(0f, TagScoring.Features(Plan(fusion), "hit", [0.3f, 0.954f])[ScorePartNames.TitleMatch]);
    }

    [Fact]
    public void The_first_pass_is_the_hand_set_fusion_whatever_the_scoring_weights()
    {
        Assert.Equal(FusionModel.HandSet(new RelevanceOptions()).Weights, FusionModel.FirstPass(new RelevanceOptions()).Weights);
        Assert.Equal(FusionModel.HandSet(new RelevanceOptions { LexicalWeight = 5 }).Weights, FusionModel.FirstPass(new RelevanceOptions { LexicalWeight = 5 }).Weights);
        var off = FusionModel.FirstPass(new RelevanceOptions { Fusion = false });
        Assert.False(off.ModelCalibration);
        Assert.Equal(new Dictionary<string, double> { [ScorePartNames.SemanticZ] = 1 }, off.Weights);
    }

    [Fact]
    public void Stream_variant_hits_add_bm25_but_only_core_matches_get_the_match_bonus()
    {
        var plan = Plan(FusionModel.FromOptions(new RelevanceOptions()), coreMatches: ["hit"]);
        Assert.True(plan.IsMatch("hit"));
        Assert.False(plan.IsMatch("weak"));
        var weak = TagScoring.Features(plan, "weak", [0.2f, 0.98f]);
        Assert.Equal(0f, weak[ScorePartNames.Match]);
        Assert.True(weak[ScorePartNames.Bm25ByMax] > 0);
    }

    [Fact]
    public void Fusion_off_is_the_models_own_cosine_score_exactly()
    {
        var scorer = new FakeEmbeddingScorer();
        float[] doc = [0.3f, 0.954f];
        var scored = TagScoring.Score(Plan(FusionModel.CosineOnly), "hit", doc, scorer);
        Assert.Equal(scorer.ScoreEmbeddings(doc, [[1f, 0f]])[0], scored.Score);
        Assert.Equal([ScorePartNames.Cosine, ScorePartNames.Score], scored.Parts.Keys.Order(StringComparer.Ordinal));
        Assert.Same(FusionModel.CosineOnly, FusionModel.FromOptions(new RelevanceOptions { Fusion = false }));
    }

    [Fact]
    public void A_learned_model_weighs_any_known_feature_and_unknown_ones_are_named()
    {
        var learned = new FusionModel
        {
            Weights = new Dictionary<string, double> { [ScorePartNames.SemanticZ] = 1.08, [ScorePartNames.Bm25ByMax] = 4.5, [ScorePartNames.Match] = 1.5 },
            Alpha = 1,
            Beta = -6.2,
            Source = "trained@2",
        };
        Assert.Empty(learned.Problems());
        var features = new Dictionary<string, float> { [ScorePartNames.SemanticZ] = 2f, [ScorePartNames.Bm25ByMax] = 0.5f, [ScorePartNames.Match] = 1f };
        Assert.Equal((1.08 * 2) + (4.5 * 0.5) + 1.5, learned.Fuse(features), 6);
        Assert.Equal(learned.Weights, (learned with { Beta = 0 }).Weights);

        var bad = learned with { Weights = new Dictionary<string, double> { ["title_only_bm25"] = 1 } };
        Assert.Contains("unknown feature 'title_only_bm25'", Assert.Single(bad.Problems()), StringComparison.Ordinal);
        Assert.Equal(0, bad.Fuse(new Dictionary<string, float> { [ScorePartNames.SemanticZ] = 1f }));
    }
}
