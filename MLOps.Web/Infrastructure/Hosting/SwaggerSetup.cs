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
        });
        return services;
    }

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
}
