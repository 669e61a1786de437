using System.Text.Json;
using Microsoft.Extensions.Options;

namespace MLOps.Web.Features.Trending;

/// <summary>
/// Replays a JSONL file of posts (<c>{"text": ..., "hashtags": [...]?}</c> per line) at
/// <see cref="ReplaySourceOptions.PostsPerSecond"/>, looping when configured. Malformed lines are
/// counted and skipped.
/// </summary>
public sealed class ReplaySource(
    IOptions<TrendingOptions> options,
    IHostEnvironment environment,
    PostIngestor ingestor,
    TimeProvider time) : IPostSource
{
    private readonly ReplaySourceOptions _options = options.Value.Replay;

    public string Name => "replay";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var path = TrendingOptionsValidator.ResolveReplayFile(_options.File, environment)
            ?? throw new FileNotFoundException($"Trending:Replay:File '{_options.File}' does not exist.");
        var rate = _options.PostsPerSecond;
        var started = time.GetTimestamp();
        long emitted = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var lines = 0;
            using (var reader = new StreamReader(path))
            {
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (string.IsNullOrWhiteSpace(line))
                    {
                        continue;
                    }

                    lines++;
                    if (rate > 0)
                    {
                        var due = TimeSpan.FromSeconds(emitted / rate);
                        var elapsed = time.GetElapsedTime(started);
                        if (elapsed - due > TimeSpan.FromSeconds(1))
                        {
                            // Fell behind (paused process): continue at the rate instead of bursting.
                            started = time.GetTimestamp();
                            emitted = 0;
                        }
                        else if (due - elapsed > TimeSpan.FromMilliseconds(5))
                        {
                            await Task.Delay(due - elapsed, time, cancellationToken);
                        }
                    }

                    Ingest(line);
                    emitted++;
                }
            }

            if (!_options.Loop || lines == 0)
            {
                return;
            }
        }
    }

    private void Ingest(string line)
    {
        PostLine? post;
        try
        {
            post = JsonSerializer.Deserialize(line, TrendingJsonContext.Default.PostLine);
        }
        catch (JsonException)
        {
            ingestor.Malformed(Name);
            return;
        }

        if (post is null || (post.Text is null && post.Hashtags is null))
        {
            ingestor.Malformed(Name);
            return;
        }

        ingestor.Ingest(post.Text, post.Hashtags);
    }
}
