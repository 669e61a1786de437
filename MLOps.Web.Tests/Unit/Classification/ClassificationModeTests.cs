using MLOps.Web.Features.Classification;

namespace MLOps.Web.Tests.Unit.Classification;

public sealed class ClassificationModeTests
{
    [Theory]
    // one label: multi-label whatever is asked (the pipeline's rule)
    [InlineData(null, null, 1, true)]
    [InlineData(false, null, 1, true)]
    [InlineData(null, false, 1, true)]
    [InlineData(false, false, 1, true)]
    // several labels: multi_label, else its alias multi_class, else false
    [InlineData(null, null, 3, false)]
    [InlineData(true, null, 3, true)]
    [InlineData(false, null, 3, false)]
    [InlineData(null, true, 3, true)]
    [InlineData(null, false, 3, false)]
    [InlineData(true, true, 3, true)]
    [InlineData(false, false, 3, false)]
    public void The_mode_follows_the_pipeline(bool? multiLabel, bool? multiClass, int labels, bool expected) =>
        Assert.Equal(expected, ClassificationMode.Resolve(multiLabel, multiClass, labels));

    [Theory]
    [InlineData(true, false, 3)]
    [InlineData(false, true, 3)]
    [InlineData(false, true, 1)]
    public void Multi_label_and_multi_class_that_disagree_have_no_mode(bool multiLabel, bool multiClass, int labels) =>
        Assert.Null(ClassificationMode.Resolve(multiLabel, multiClass, labels));

    [Fact]
    public void A_conflict_is_an_error_on_both_fields_under_the_prefix()
    {
        var errors = new Dictionary<string, string[]>();
        ClassifyInput.Mode(true, false, ["a", "b"], errors, "instances[3].");
        Assert.Equal(["instances[3].multi_class", "instances[3].multi_label"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("multi_class", errors["instances[3].multi_label"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Label_errors_are_named_under_the_prefix()
    {
        var errors = new Dictionary<string, string[]>();
        ClassifyInput.Labels(["ok", " "], "no placeholder", new ClassificationOptions(), errors, "instances[1].");
        Assert.Equal(["instances[1].hypothesis_template", "instances[1].labels[1]"], errors.Keys.Order(StringComparer.Ordinal));
    }
}
