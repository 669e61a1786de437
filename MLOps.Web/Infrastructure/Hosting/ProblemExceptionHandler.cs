using Microsoft.AspNetCore.Diagnostics;
using MLOps.Web.Shared.Catalog;
using MLOps.Web.Shared.Models;
using MLOps.Web.Shared.Reclassification;
using MLOps.Web.Shared.Training;

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
            case ModelException m:
                (status, title, errors) = Map(m);
                detail = m.Message;
                break;
            case TrainingDataException t:
                (status, title, detail, errors) = (StatusCodes.Status400BadRequest, "Cannot train", t.Message, new Dictionary<string, string[]> { [t.Field] = [t.Message] });
                break;
            case InvalidRunRequestException r:
                (status, title, detail, errors) = (StatusCodes.Status400BadRequest, "Invalid request", r.Message, r.Errors);
                break;
            case BadHttpRequestException b:
                (status, title, detail) = (b.StatusCode, "Bad request", b.Message);
                break;
            case SearchTimeoutException t:
                (status, title, detail) = (StatusCodes.Status503ServiceUnavailable, "Search timed out", t.Message);
                httpContext.Response.Headers.RetryAfter = "1";
                break;
            case QueryTooComplexException q:
                (status, title, detail, errors) = (StatusCodes.Status400BadRequest, "Invalid search request", q.Message, Field("q", q.Message));
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

    /// <summary>The one place where the model layer's domain exceptions become HTTP statuses.</summary>
    internal static (int Status, string Title, IDictionary<string, string[]>? Errors) Map(ModelException exception) => exception switch
    {
        ModelNotFoundException => (StatusCodes.Status404NotFound, "Not found", null),
        NoActiveModelException => (StatusCodes.Status503ServiceUnavailable, "No active model", null),
        ModelUnavailableException => (StatusCodes.Status503ServiceUnavailable, "Model not ready", null),
        InvalidModelPackageException p => (StatusCodes.Status400BadRequest, "Model refused", Field(p.Field, p.Message)),
        InvalidModelRequestException r => (StatusCodes.Status400BadRequest, "Invalid request", Field(r.Field, r.Message)),
        NothingToRollBackException => (StatusCodes.Status409Conflict, "Nothing to roll back to", null),
        ModelAlreadyRegisteredException => (StatusCodes.Status409Conflict, "Already registered", null),
        ModelUnusableException => (StatusCodes.Status409Conflict, "Model unusable", null),
        ModelConflictException => (StatusCodes.Status409Conflict, "Conflict", null),
        _ => (StatusCodes.Status500InternalServerError, "Internal server error", null),
    };

    private static Dictionary<string, string[]> Field(string field, string message) => new() { [field] = [message] };

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled exception on {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string path);
}
