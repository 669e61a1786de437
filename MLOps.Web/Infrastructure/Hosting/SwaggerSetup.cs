using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MLOps.Web.Infrastructure.Hosting;

/// <summary>Endpoint metadata: an example request body shown in Swagger UI.</summary>
/// <param name="Json">The example, as JSON text.</param>
/// <param name="ContentType">The media type the example is for.</param>
public sealed record RequestExample(string Json, string ContentType = "application/json");

/// <summary>Swashbuckle setup: XML comments, request examples from <see cref="RequestExample"/>.</summary>
public static class SwaggerSetup
{
    public static IServiceCollection AddSwaggerDocumentation(this IServiceCollection services)
    {
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "MLOps.Web",
                Version = "v1",
                Description = "Trending hashtags -> in-process ONNX zero-shot classification -> fresh search rankings.",
            });
            var xml = Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml");
            if (File.Exists(xml))
            {
                o.IncludeXmlComments(xml);
            }

            o.OperationFilter<RequestExampleFilter>();
            o.AddSecurityDefinition(ApiKeySchemeId, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "X-Api-Key",
                Description = "An API key with the route's role (operator, ingest, reader). Requests from this machine need none (Auth:AllowLoopback).",
            });
            o.AddSecurityDefinition(BearerSchemeId, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The same API key as Authorization: Bearer <key>.",
            });
            o.OperationFilter<RoleSecurityFilter>();
        });
        return services;
    }

    public const string ApiKeySchemeId = "ApiKey";
    public const string BearerSchemeId = "Bearer";

    /// <summary>Adds an example request body to the endpoint's OpenAPI operation.</summary>
    public static TBuilder WithRequestExample<TBuilder>(this TBuilder builder, string json, string contentType = "application/json")
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestExample(json, contentType));

    private sealed class RequestExampleFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            foreach (var example in context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<RequestExample>())
            {
                if (operation.RequestBody is not OpenApiRequestBody body)
                {
                    continue;
                }

                body.Content ??= new Dictionary<string, IOpenApiMediaType>();
                if (!body.Content.TryGetValue(example.ContentType, out var media) || media is not OpenApiMediaType mt)
                {
                    mt = new OpenApiMediaType();
                    body.Content[example.ContentType] = mt;
                }

                mt.Example = example.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase)
                    ? JsonNode.Parse(example.Json)
                    : JsonValue.Create(example.Json);
            }
        }
    }

    /// <summary>An operation whose route needs a role lists both key schemes and names the role.</summary>
    private sealed class RoleSecurityFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var role = context.ApiDescription.ActionDescriptor.EndpointMetadata
                .OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>()
                .Select(a => a.Policy)
                .FirstOrDefault(p => p?.StartsWith("role:", StringComparison.Ordinal) == true)?["role:".Length..];
            if (role is null)
            {
                return;
            }

            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeySchemeId, context.Document)] = [] });
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerSchemeId, context.Document)] = [] });
            var note = role == "reader"
                ? "Open to everyone unless Auth:RequireReaderKey; then any API key (or a request from this machine)."
                : $"Needs an API key with the '{role}' role from other machines; requests from this machine need none.";
            operation.Description = string.IsNullOrEmpty(operation.Description) ? note : operation.Description + "\n\n" + note;
        }
    }
}
