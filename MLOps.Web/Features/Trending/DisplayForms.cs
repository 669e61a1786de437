namespace MLOps.Web.Features.Trending;

/// <summary>
/// The spellings seen for one tag (<c>#Christmas</c>, <c>#CHRISTMAS</c>) with their counts, at most
/// <see cref="MaxForms"/> of them; <see cref="Display"/> is the one seen most often (the first seen
/// on a tie). Not thread-safe: the counter's lock guards it.
/// </summary>
internal sealed class DisplayForms
{
    /// <summary>Forms tracked per tag; later new spellings are not counted.</summary>
    public const int MaxForms = 8;

    private string[] _forms = new string[1];
    private long[] _counts = new long[1];
    private int _formCount;

    /// <summary>The form seen most often; empty before the first <see cref="See"/>.</summary>
    public string Display { get; private set; } = "";

    /// <summary>Counts <paramref name="count"/> sightings of <paramref name="display"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void See(ReadOnlySpan<char> display, long count)
    {
        var index = IndexOf(display);
        if (index < 0)
        {
            if (_formCount == MaxForms)
            {
                return;
            }

            index = Append(display, count);
            if (index == 0)
            {
                Display = _forms[0];
                return;
            }
        }
        else
        {
            _counts[index] += count;
        }

        if (!ReferenceEquals(_forms[index], Display) && _counts[index] > CountOf(Display))
        {
            Display = _forms[index];
        }
    }

    private int IndexOf(ReadOnlySpan<char> display)
    {
        for (var i = 0; i < _formCount; i++)
        {
            if (display.SequenceEqual(_forms[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private int Append(ReadOnlySpan<char> display, long count)
    {
        if (_formCount == _forms.Length)
        {
            Array.Resize(ref _forms, Math.Min(MaxForms, _forms.Length * 2));
            Array.Resize(ref _counts, _forms.Length);
        }

        var index = _formCount++;
        _forms[index] = display.ToString();
        _counts[index] = count;
        return index;
    }

    private long CountOf(string form)
    {
        for (var i = 0; i < _formCount; i++)
        {
            if (ReferenceEquals(_forms[i], form))
            {
                return _counts[i];
            }
        }

        return 0;
    }
}
