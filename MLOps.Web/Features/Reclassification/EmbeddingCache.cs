using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Infrastructure.Redis;
using MLOps.Web.Shared.Models;
using StackExchange.Redis;

namespace MLOps.Web.Features.Reclassification;

/// <summary>
/// One append-only binary file per model sha256 under the data directory
/// (<c>embedding-cache/&lt;sha&gt;.bin</c>), loaded lazily on first use. A record is the 32-byte text
/// hash, the dimension (int32) and the floats (little-endian). A record cut short by a crash is
/// dropped on load and the file truncated back to the last whole record.
/// </summary>
public sealed class DiskEmbeddingCache(DataDirectory data, IOptions<ReclassificationOptions> options) : IEmbeddingCache, IDisposable
{
    private const int KeyBytes = 32;
    private readonly ConcurrentDictionary<string, Lazy<ModelFile>> _files = new(StringComparer.Ordinal);

    public string Directory => data.Resolve(options.Value.CacheDirectory);

    public Task<float[]?[]> GetManyAsync(string modelSha256, IReadOnlyList<string> textKeys, CancellationToken cancellationToken)
    {
        var file = Open(modelSha256);
        var result = new float[]?[textKeys.Count];
        for (var i = 0; i < textKeys.Count; i++)
        {
            result[i] = file.Vectors.TryGetValue(textKeys[i], out var v) ? v : null;
        }

        return Task.FromResult(result);
    }

    public async Task PutManyAsync(string modelSha256, IReadOnlyList<string> textKeys, IReadOnlyList<float[]> vectors, CancellationToken cancellationToken)
    {
        var file = Open(modelSha256);
        await file.Gate.WaitAsync(cancellationToken);
        try
        {
            using var buffer = new MemoryStream();
            for (var i = 0; i < textKeys.Count; i++)
            {
                if (file.Vectors.ContainsKey(textKeys[i]))
                {
                    continue;
                }

                buffer.Write(Convert.FromHexString(textKeys[i]));
                buffer.Write(BitConverter.GetBytes(vectors[i].Length));
                buffer.Write(MemoryMarshal.AsBytes(vectors[i].AsSpan()));
                file.Vectors[textKeys[i]] = vectors[i];
            }

            if (buffer.Length > 0)
            {
                await using var stream = new FileStream(file.Path, FileMode.Append, FileAccess.Write, FileShare.Read);
                buffer.Position = 0;
                await buffer.CopyToAsync(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            file.Gate.Release();
        }
    }

    public async Task ClearAsync(string modelSha256, CancellationToken cancellationToken)
    {
        var file = Open(modelSha256);
        await file.Gate.WaitAsync(cancellationToken);
        try
        {
            file.Vectors.Clear();
            File.Delete(file.Path);
        }
        finally
        {
            file.Gate.Release();
        }
    }

    public void Dispose()
    {
        foreach (var file in _files.Values.Where(f => f.IsValueCreated))
        {
            file.Value.Gate.Dispose();
        }
    }

    private ModelFile Open(string modelSha256) =>
        _files.GetOrAdd(EmbeddingCacheKey.ForModel(modelSha256), sha => new Lazy<ModelFile>(() => Load(sha))).Value;

    private ModelFile Load(string sha)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, sha + ".bin");
        var vectors = new ConcurrentDictionary<string, float[]>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            long good = 0;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            using (var reader = new BinaryReader(stream))
            {
                var key = new byte[KeyBytes];
                while (stream.Length - stream.Position >= KeyBytes + sizeof(int))
                {
                    stream.ReadExactly(key);
                    var dim = reader.ReadInt32();
                    if (dim <= 0 || dim > 65_536 || stream.Length - stream.Position < (long)dim * sizeof(float))
                    {
                        break;
                    }

                    var vector = new float[dim];
                    stream.ReadExactly(MemoryMarshal.AsBytes(vector.AsSpan()));
                    vectors[Convert.ToHexStringLower(key)] = vector;
                    good = stream.Position;
                }
            }

            if (good < new FileInfo(path).Length)
            {
                using var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
                truncate.SetLength(good);
            }
        }

        return new ModelFile(path, vectors);
    }

    private sealed record ModelFile(string Path, ConcurrentDictionary<string, float[]> Vectors)
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
    }
}

/// <summary>One Redis hash per model sha256 (<c>{prefix}embeddings:&lt;sha&gt;</c>), shared by every replica.</summary>
public sealed class RedisEmbeddingCache(IConnectionMultiplexer redis, IOptions<RedisOptions> options) : IEmbeddingCache
{
    private RedisKey Key(string sha) => options.Value.KeyPrefix + "embeddings:" + EmbeddingCacheKey.ForModel(sha);

    public async Task<float[]?[]> GetManyAsync(string modelSha256, IReadOnlyList<string> textKeys, CancellationToken cancellationToken)
    {
        var result = new float[]?[textKeys.Count];
        if (textKeys.Count == 0)
        {
            return result;
        }

        var values = await redis.GetDatabase().HashGetAsync(Key(modelSha256), [.. textKeys.Select(k => (RedisValue)k)]).WaitAsync(cancellationToken);
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i].HasValue)
            {
                result[i] = MemoryMarshal.Cast<byte, float>(((byte[])values[i]!).AsSpan()).ToArray();
            }
        }

        return result;
    }

    public async Task PutManyAsync(string modelSha256, IReadOnlyList<string> textKeys, IReadOnlyList<float[]> vectors, CancellationToken cancellationToken)
    {
        if (textKeys.Count == 0)
        {
            return;
        }

        var entries = textKeys.Select((k, i) => new HashEntry(k, MemoryMarshal.AsBytes(vectors[i].AsSpan()).ToArray())).ToArray();
        await redis.GetDatabase().HashSetAsync(Key(modelSha256), entries).WaitAsync(cancellationToken);
    }

    public async Task ClearAsync(string modelSha256, CancellationToken cancellationToken) =>
        await redis.GetDatabase().KeyDeleteAsync(Key(modelSha256)).WaitAsync(cancellationToken);
}
