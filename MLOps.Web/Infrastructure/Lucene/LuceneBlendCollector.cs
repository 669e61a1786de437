using Lucene.Net.Index;
using Lucene.Net.Search;

namespace MLOps.Web.Infrastructure.Lucene;

/// <summary>
/// Collects the top <c>size</c> hits by textWeight × (score / best score) + Σ weight × classification
/// score (float doc values, missing = 0). With <c>maxScore</c> 0 (no text) the text part is 1 and no
/// score is computed. Checks cancellation once per segment.
/// </summary>
internal sealed class LuceneBlendCollector(int size, KeyValuePair<string, float>[] fields, float textWeight, float maxScore, CancellationToken ct) : ICollector
{
    private readonly PriorityQueue<Entry, (float Blended, int NegDoc)> _queue = new();
    private readonly FieldCache.Singles[] _values = new FieldCache.Singles[fields.Length];
    private Scorer? _scorer;
    private int _docBase;

    /// <summary>A collected hit: global doc id, blended score, normalised and raw text score.</summary>
    public readonly record struct Entry(int Doc, float Blended, float Text, float Raw);

    public long Total { get; private set; }

    public bool AcceptsDocsOutOfOrder => false;

    public void SetScorer(Scorer scorer) => _scorer = scorer;

    public void SetNextReader(AtomicReaderContext context)
    {
        ct.ThrowIfCancellationRequested();
        _docBase = context.DocBase;
        for (var i = 0; i < fields.Length; i++)
        {
            _values[i] = FieldCache.DEFAULT.GetSingles(context.AtomicReader, fields[i].Key, setDocsWithField: false);
        }
    }

    public void Collect(int doc)
    {
        Total++;
        var raw = maxScore > 0f ? _scorer!.GetScore() : 1f;
        var text = maxScore > 0f ? raw / maxScore : 1f;
        var blended = textWeight * text;
        for (var i = 0; i < fields.Length; i++)
        {
            blended += fields[i].Value * _values[i].Get(doc);
        }

        var global = _docBase + doc;
        var priority = (blended, -global);
        if (_queue.Count < size)
        {
            _queue.Enqueue(new Entry(global, blended, text, raw), priority);
        }
        else if (_queue.TryPeek(out _, out var lowest) && Comparer<(float, int)>.Default.Compare(priority, lowest) > 0)
        {
            _queue.DequeueEnqueue(new Entry(global, blended, text, raw), priority);
        }
    }

    /// <summary>Best first; ties by document order.</summary>
    public List<Entry> Ranked()
    {
        var list = new List<Entry>(_queue.Count);
        while (_queue.TryDequeue(out var e, out _))
        {
            list.Add(e);
        }

        list.Reverse();
        return list;
    }
}
