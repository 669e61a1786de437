using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Relevance;
using MLOps.Web.Shared.Training;

namespace MLOps.Web.Tests.Unit.Training;

public sealed class TrainedPlanningTests
{
    [Fact]
    public void A_trained_version_is_planned_with_the_options_fusion_and_scored_with_its_own()
    {
        var options = new RelevanceOptions();
        var trained = new FusionModel { Weights = new Dictionary<string, double> { [ScorePartNames.Bm25ByMax] = 3 }, Alpha = 2, Beta = -1, Source = "m@2" };
        var plan = new TagPlan { Tag = "t", Label = "t", Field = "classification_t", Fusion = TrainedPlanning.PlanFusion(options), Hypothesis = [1f] };

        var applied = TrainedPlanning.Apply(new TagPlanBatch([plan], 0, 0, 0), trained);

        var planFusion = TrainedPlanning.PlanFusion(options);
        Assert.Equal(FusionModel.FromOptions(options).Weights, planFusion.Weights);
        Assert.Equal((options.Alpha, options.Beta), (planFusion.Alpha, planFusion.Beta));
        Assert.Same(trained, Assert.Single(applied.Plans).Fusion);
        Assert.Same(plan.Hypothesis, applied.Plans[0].Hypothesis);
        Assert.Same(plan, Assert.Single(TrainedPlanning.Apply(new TagPlanBatch([plan], 0, 0, 0), null).Plans));
    }

    [Fact]
    public void With_fusion_switched_off_the_plan_still_gathers_the_evidence_a_trained_fusion_needs()
    {
        var fusion = TrainedPlanning.PlanFusion(new RelevanceOptions { Fusion = false });

        Assert.False(fusion.ModelCalibration);
        Assert.Equal([ScorePartNames.SemanticZ], fusion.Weights.Keys);
    }
}
