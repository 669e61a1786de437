using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;
using MLOps.Web.Infrastructure.Security;

namespace MLOps.Web.Infrastructure.Hosting;

/// <summary>Cross-cutting host setup: configuration sources, storage, ProblemDetails, Swagger.</summary>
public static class PlatformExtensions
{
    /// <summary>Registers configuration, options, ProblemDetails, OpenAPI and health checks.</summary>
    public static IHostApplicationBuilder AddPlatform(this IHostApplicationBuilder builder)
    {
        builder.Configuration.AddRepositoryAppSettings();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<DataDirectory>();

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions["traceId"] = ctx.HttpContext.TraceIdentifier);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });

        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerDocumentation();
        builder.Services.AddHealthChecks();
        builder.AddSecurity();
        return builder;
    }

    /// <summary>
    /// The product documents one <c>appsettings.json</c> at the repository root. The build copies it
    /// next to the assembly; read it from there first, so that <c>dotnet run --project MLOps.Web</c>,
    /// the published app and the tests all see the same file. Environment-specific files, environment
    /// variables (<c>Section__Key</c>) and the command line still override it.
    /// </summary>
    public static IConfigurationBuilder AddRepositoryAppSettings(this IConfigurationManager configuration)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var sources = configuration.Sources;
        var alreadyThere = sources.OfType<JsonConfigurationSource>()
            .Any(s => s.Path is not null && s.FileProvider?.GetFileInfo(s.Path).PhysicalPath == path);
        if (alreadyThere || !File.Exists(path))
        {
            return configuration;
        }

        var firstJson = sources.Select((s, i) => (s, i)).FirstOrDefault(x => x.s is JsonConfigurationSource).i;
        var source = new JsonConfigurationSource { Path = path, Optional = true, ReloadOnChange = false };
        source.ResolveFileProvider();
        sources.Insert(firstJson > 0 ? firstJson : 0, source);
        return configuration;
    }

    /// <summary>Middleware: errors as ProblemDetails, unreadable bodies refused, static dashboard files, Swagger UI, then security (keys, roles, rate limits).</summary>
    public static WebApplication UsePlatform(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestContentGuard>();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseSwagger();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/swagger/v1/swagger.json", "MLOps.Web v1");
            o.DocumentTitle = "MLOps.Web API";
        });
        app.UseSecurity();
        _ = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        return app;
    }
}
