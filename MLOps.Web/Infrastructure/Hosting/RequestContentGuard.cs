using System.Text;
using Microsoft.Net.Http.Headers;

namespace MLOps.Web.Infrastructure.Hosting;

/// <summary>
/// Refuses, for every route at once, a request body the endpoints could not read: a
/// <c>Content-Type</c> that is not a media type, or one whose <c>charset</c> names no encoding this
/// runtime has (<c>application/json; charset=bogus</c> made the JSON binders throw, a 500 on every
/// JSON POST). Such a request gets a 415 ProblemDetails saying what was sent and what to send
/// instead; nothing else is touched. Encodings .NET knows (utf-8, utf-16, utf-32, us-ascii,
/// iso-8859-1) pass on to the binders, which transcode them.
/// </summary>
public sealed class RequestContentGuard(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        if (Problem(context.Request) is not { } detail)
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status415UnsupportedMediaType,
                Title = "Unsupported media type",
                Detail = detail,
            },
        });
    }

    /// <summary>Why the request's body cannot be read, or null when it can (or it has none).</summary>
    internal static string? Problem(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrEmpty(contentType))
        {
            return null;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Length == 0 || !media.MediaType.Value!.Contains('/', StringComparison.Ordinal))
        {
            return $"Content-Type '{Shorten(contentType)}' is not a media type such as application/json.";
        }

        var charset = media.Charset;
        if (!charset.HasValue)
        {
            return null;
        }

        var name = charset.Value!.Trim('"');
        try
        {
            _ = Encoding.GetEncoding(name);
            return null;
        }
        catch (ArgumentException)
        {
            return $"charset '{Shorten(name)}' in Content-Type is not an encoding this service reads; send UTF-8 (charset=utf-8, or no charset).";
        }
    }

    private static string Shorten(string s) => s.Length <= 100 ? s : s[..100] + "…";
}
