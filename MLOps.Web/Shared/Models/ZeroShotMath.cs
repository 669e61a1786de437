namespace MLOps.Web.Shared.Models;

/// <summary>The arithmetic of zero-shot scoring, shared by both scorer kinds.</summary>
public static class ZeroShotMath
{
    /// <summary>The hypothesis for a label: the template's <c>{}</c> replaced by the label in words (hashtags split).</summary>
    public static string Hypothesis(string template, string label) =>
        template.Replace("{}", LabelNaming.ToLabel(label), StringComparison.Ordinal);

    public static float Sigmoid(double x) => (float)(1.0 / (1.0 + Math.Exp(-x)));

    /// <summary>Numerically stable softmax.</summary>
    public static float[] Softmax(ReadOnlySpan<float> logits)
    {
        var result = new float[logits.Length];
        if (logits.Length == 0)
        {
            return result;
        }

        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        double sum = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            var e = Math.Exp(logits[i] - max);
            result[i] = (float)e;
            sum += e;
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (float)(result[i] / sum);
        }

        return result;
    }

    /// <summary>P(entailment) from a softmax over [contradiction, entailment] only (multi-label form).</summary>
    public static float EntailmentVersusContradiction(float entailment, float contradiction) =>
        Sigmoid((double)entailment - contradiction);
}
