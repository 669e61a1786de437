using Microsoft.AspNetCore.Diagnostics;

namespace MLOps.Web.Infrastructure.Hosting;

/// <summary>
/// An exception that maps to a ProblemDetails response with a 4xx status. Throw it from services
/// when input is invalid in a way only the service can see (e.g. unknown model id).
/// </summary>
public class ProblemException(int statusCode, string title, string detail, IDictionary<string, string[]>? errors = null)
    : Exception(detail)
{
    public int StatusCode { get; } = statusCode;
    public string Title { get; } = title;
    public IDictionary<string, string[]>? Errors { get; } = errors;

    public static ProblemException BadRequest(string field, string message) =>
        new(StatusCodes.Status400BadRequest, "Invalid request", message, new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemException NotFound(string detail) =>
        new(StatusCodes.Status404NotFound, "Not found", detail);
}

/// <summary>Turns exceptions into ProblemDetails; never leaks a stack trace outside Development.</summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger, IHostEnvironment env)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        int status;
        string title;
        string detail;
        IDictionary<string, string[]>? errors = null;
        switch (exception)
        {
            case ProblemException p:
                (status, title, detail, errors) = (p.StatusCode, p.Title, p.Message, p.Errors);
                break;
            case BadHttpRequestException b:
                (status, title, detail) = (b.StatusCode, "Bad request", b.Message);
                break;
            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                (status, title, detail) = (499, "Client closed request", "The request was cancelled by the client.");
                break;
            default:
                LogUnhandled(logger, exception, httpContext.Request.Path);
                (status, title, detail) = (StatusCodes.Status500InternalServerError, "Internal server error",
                    env.IsDevelopment() ? exception.ToString() : "An unexpected error occurred; see the server logs for the trace id.");
                break;
        }

        httpContext.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail };
        if (errors is not null)
        {
            problem.Extensions["errors"] = errors;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled exception on {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string path);
}
