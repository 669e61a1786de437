using System.Text.Json;
using System.Text.Json.Serialization;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Evaluation;
using StackExchange.Redis;

namespace MLOps.Web.Features.Evaluation;

/// <summary>JSON settings of everything this feature stores (files and Redis values).</summary>
internal static class EvaluationJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically: a temp file in the same folder, then a rename.</summary>
    public static async Task WriteAtomicAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                await stream.WriteAsync(bytes, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }

            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }
}

/// <summary>One JSON file per set under <c>data/judgments</c>, replaced atomically.</summary>
public sealed class FileJudgmentStore(string directory) : IJudgmentStore, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public void Dispose() => _gate.Dispose();

    public string Directory { get; } = directory;

    public async Task<IReadOnlyList<JudgmentSet>> ListAsync(CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        var sets = new List<JudgmentSet>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (JudgmentSetName.IsValid(name) && await GetAsync(name, cancellationToken) is { } set)
            {
                sets.Add(set);
            }
        }

        return sets;
    }

    public async Task<JudgmentSet?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return await JsonSerializer.DeserializeAsync<JudgmentSet>(stream, EvaluationJson.Options, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null; // deleted between the check and the open
        }
    }

    public async Task<bool> PutAsync(JudgmentSet set, CancellationToken cancellationToken)
    {
        var path = PathOf(set.Name);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(set, EvaluationJson.Options);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var created = !File.Exists(path);
            await EvaluationJson.WriteAtomicAsync(path, bytes, cancellationToken);
            return created;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private string PathOf(string name) =>
        JudgmentSetName.IsValid(name)
            ? Path.Combine(Directory, name + ".json")
            : throw new ArgumentException($"'{name}' is not a valid judgment set name.", nameof(name));
}

/// <summary>All sets in one Redis hash <c>{prefix}evaluation:judgments</c>: field = set name, value = the set as JSON.</summary>
public sealed class RedisJudgmentStore(IConnectionMultiplexer redis, Microsoft.Extensions.Options.IOptions<RedisOptions> options) : IJudgmentStore
{
    public RedisKey Key { get; } = options.Value.KeyPrefix + "evaluation:judgments";

    public async Task<IReadOnlyList<JudgmentSet>> ListAsync(CancellationToken cancellationToken)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(Key).WaitAsync(cancellationToken);
        return entries
            .Select(e => Deserialize(e.Value))
            .OfType<JudgmentSet>()
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<JudgmentSet?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var value = await redis.GetDatabase().HashGetAsync(Key, name).WaitAsync(cancellationToken);
        return Deserialize(value);
    }

    public async Task<bool> PutAsync(JudgmentSet set, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(set, EvaluationJson.Options);
        return await redis.GetDatabase().HashSetAsync(Key, set.Name, json).WaitAsync(cancellationToken);
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken) =>
        await redis.GetDatabase().HashDeleteAsync(Key, name).WaitAsync(cancellationToken);

    private static JudgmentSet? Deserialize(RedisValue value) =>
        value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<JudgmentSet>((byte[])value!, EvaluationJson.Options);
}

/// <summary>The judgment sets as other features read them (<see cref="IJudgedSets"/>: training).</summary>
public sealed class JudgedSetsFromStore(IJudgmentStore store) : IJudgedSets
{
    public async Task<IReadOnlyList<JudgedSet>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await store.ListAsync(cancellationToken)).Select(s => new JudgedSet(
            s.Name, s.Query, s.Judgments.ToDictionary(j => j.DocumentId, j => j.Relevance, StringComparer.Ordinal), s.UpdatedAt))];
}
