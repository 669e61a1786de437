using MLOps.Web.Shared.Catalog;
using Nest;

namespace MLOps.Web.Infrastructure.Elasticsearch;

/// <summary>
/// The catalog index's settings and mapping: a <c>lowercase</c> normalizer, a dynamic template that
/// maps every <c>classification_*</c> field (except <c>classification_model</c>) to <c>float</c>,
/// English-analysed text fields, genres as keywords through the normalizer (case-insensitive filter),
/// <c>classified_at</c> a date, <c>classified_parts</c> (the parts of each score) stored in the source only
/// (<c>enabled: false</c>: not parsed, not indexed, not matched by the dynamic template).
/// </summary>
internal static class ElasticsearchMapping
{
    public static ICreateIndexRequest Describe(CreateIndexDescriptor c, int numberOfReplicas) => c
        .Settings(s => s
            .NumberOfReplicas(numberOfReplicas)
            .Analysis(a => a.Normalizers(n => n.Custom("lowercase", cn => cn.Filters("lowercase")))))
        .Map(m => m
            .DynamicTemplates(dt => dt.DynamicTemplate("classification_scores", d => d
                .Match("classification_*")
                .Unmatch(CatalogJson.ClassificationModel)
                .Mapping(mm => mm.Number(n => n.Type(NumberType.Float)))))
            .Properties(p => p
                .Keyword(k => k.Name(CatalogJson.Id))
                .Text(t => t.Name(CatalogJson.Title).Analyzer("english"))
                .Text(t => t.Name(CatalogJson.Overview).Analyzer("english"))
                .Text(t => t.Name(CatalogJson.Tagline).Analyzer("english"))
                .Keyword(k => k.Name(CatalogJson.Genres).Normalizer("lowercase"))
                .Keyword(k => k.Name(CatalogJson.ReleaseDate))
                .Keyword(k => k.Name(CatalogJson.ClassificationModel))
                .Date(d => d.Name(CatalogJson.ClassifiedAt))
                .Object<object>(o => o.Name(CatalogJson.ClassifiedParts).Enabled(false))));
}
