using System.Text.Json.Nodes;
using Elasticsearch.Net;
using Microsoft.Extensions.Logging.Abstractions;
using MLOps.Web.Infrastructure.Elasticsearch;
using MLOps.Web.Shared.Catalog;

namespace MLOps.Web.Tests.Unit.Catalog;

/// <summary>The exact requests the NEST adapter sends for what the contract suite does not cover.</summary>
public sealed class ElasticsearchWireTests : IDisposable
{
    private static readonly JsonNode Root = JsonNode.Parse("""{"name":"es01","cluster_name":"c","version":{"number":"8.15.3","build_flavor":"default"},"tagline":"You Know, for Search"}""")!;
    private readonly List<RecordedElasticsearchConnection> _connections = [];

    public void Dispose()
    {
        foreach (var c in _connections)
        {
            ((IDisposable)c).Dispose();
        }
    }

    private (ElasticsearchCatalogIndex Index, RecordedElasticsearchConnection Wire) Create(ElasticsearchOptions options, params RecordedExchange[] exchanges)
    {
        var wire = new RecordedElasticsearchConnection([new RecordedExchange("GET", "/", null, 200, Root), .. exchanges]);
        _connections.Add(wire);
        var index = new ElasticsearchCatalogIndex(ElasticsearchClientFactory.Create(options, wire), options, NullLogger<ElasticsearchCatalogIndex>.Instance);
        return (index, wire);
    }

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    private static JsonNode SearchResponse(string hits, double? maxScore = null) => Json($$$"""
        {"took":2,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},
         "hits":{"total":{"value":2,"relation":"eq"},"max_score":{{{(maxScore is null ? "null" : maxScore.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}}},"hits":[{{{hits}}}]}}
        """);

    private static void AssertWire(RecordedElasticsearchConnection wire)
    {
        Assert.True(wire.Mismatches.Count == 0, string.Join("\n", wire.Mismatches));
        Assert.Equal(0, wire.Remaining);
    }

    [Fact]
    public async Task Trending_search_is_a_probe_for_the_best_bm25_then_a_function_score_sum_without_scripts()
    {
        var (index, wire) = Create(ElasticsearchCatalogIndexContractTests.Options(),
            new RecordedExchange("POST", "/tmdb/_search?typed_keys=true",
                Json("""{"query":{"bool":{"filter":[{"term":{"genres":{"value":"family"}}}],"must":[{"query_string":{"default_operator":"or","fields":["title^2","overview","tagline"],"query":"christmas"}}]}},"size":1,"_source":false,"timeout":"5000ms"}"""),
                200, SearchResponse("""{"_index":"tmdb","_type":"_doc","_id":"m1","_score":4.0}""", 4.0)),
            new RecordedExchange("POST", "/tmdb/_search?typed_keys=true",
                Json("""
                {"track_total_hits":true,"from":0,"size":10,
                 "query":{"function_score":{"boost_mode":"sum","functions":[
                    {"field_value_factor":{"factor":0.375,"field":"classification_christmas","missing":0.0,"modifier":"none"}},
                    {"field_value_factor":{"factor":0.125,"field":"classification_sports","missing":0.0,"modifier":"none"}}],
                  "query":{"bool":{"boost":0.125,"filter":[{"term":{"genres":{"value":"family"}}}],"must":[{"query_string":{"default_operator":"or","fields":["title^2","overview","tagline"],"query":"christmas"}}]}},
                  "score_mode":"sum"}},
                 "sort":[{"_score":{"order":"desc"}},{"id":{"order":"asc"}}],"timeout":"5000ms"}
                """),
                200, SearchResponse("""
                    {"_index":"tmdb","_type":"_doc","_id":"m1","_score":0.8625,"_source":{"id":"m1","title":"Lantern","genres":["Family"],"classification_christmas":0.9,"classification_sports":0.2},"sort":[0.8625,"m1"]},
                    {"_index":"tmdb","_type":"_doc","_id":"m2","_score":0.3,"_source":{"id":"m2","title":"Hannah","genres":["Family"],"classification_sports":0.4},"sort":[0.3,"m2"]}
                    """, 0.8625)));

        var result = await index.SearchAsync(new SearchQuery
        {
            Text = "christmas",
            Genre = "Family",
            Sort = SearchSortKind.Trending,
            TextWeight = 0.5f,
            FieldWeights = new Dictionary<string, float> { ["classification_sports"] = 0.125f, ["classification_christmas"] = 0.375f },
            Explain = true,
        }, CancellationToken.None);

        AssertWire(wire);
        Assert.Equal(["m1", "m2"], result.Hits.Select(h => h.Document.Id));
        // 0.8625 = 0.5 × text + 0.375 × 0.9 + 0.125 × 0.2 -> text = 1 (the best match), bm25 4 of best 4.
        Assert.Equal("blend 0.8625 = 0.5 × text 1 (bm25 4 / best 4) + 0.375 × classification_christmas 0.9 + 0.125 × classification_sports 0.2",
            result.Hits[0].Explanation);
    }

    [Fact]
    public async Task Trending_search_without_text_boosts_match_all_by_the_text_weight_and_sends_no_probe()
    {
        var (index, wire) = Create(ElasticsearchCatalogIndexContractTests.Options(),
            new RecordedExchange("POST", "/tmdb/_search?typed_keys=true",
                Json("""
                {"track_total_hits":true,"from":5,"size":5,
                 "query":{"function_score":{"boost_mode":"sum","functions":[
                    {"field_value_factor":{"factor":0.5,"field":"classification_christmas","missing":0.0,"modifier":"none"}}],
                  "query":{"bool":{"boost":0.25,"must":[{"match_all":{}}]}},
                  "score_mode":"sum"}},
                 "sort":[{"_score":{"order":"desc"}},{"id":{"order":"asc"}}],"timeout":"5000ms"}
                """),
                200, SearchResponse("")));

        var result = await index.SearchAsync(new SearchQuery
        {
            Sort = SearchSortKind.Trending,
            TextWeight = 0.25f,
            FieldWeights = new Dictionary<string, float> { ["classification_christmas"] = 0.5f },
            From = 5,
            Size = 5,
        }, CancellationToken.None);

        AssertWire(wire);
        Assert.Empty(result.Hits);
    }

    [Fact]
    public async Task The_lexical_query_is_a_bool_should_of_most_fields_multi_matches_one_per_weighted_text()
    {
        var (index, wire) = Create(ElasticsearchCatalogIndexContractTests.Options(),
            new RecordedExchange("POST", "/tmdb/_search?typed_keys=true",
                Json("""
                {"query":{"bool":{"should":[
                   {"multi_match":{"boost":1.0,"fields":["title","overview","tagline"],"operator":"or","query":"boxing","type":"most_fields"}},
                   {"multi_match":{"boost":1.0,"fields":["title","overview","tagline"],"operator":"or","query":"boxer","type":"most_fields"}},
                   {"multi_match":{"boost":0.5,"fields":["title","overview","tagline"],"operator":"or","query":"prize fight","type":"most_fields"}}]}},
                 "size":1000,"sort":[{"_score":{"order":"desc"}},{"id":{"order":"asc"}}],"_source":false,"track_scores":true,"track_total_hits":true}
                """),
                200, Json("""
                {"took":3,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},
                 "hits":{"total":{"value":87,"relation":"eq"},"max_score":11.5,"hits":[
                   {"_index":"tmdb","_type":"_doc","_id":"1578","_score":11.5,"sort":[11.5,"1578"]},
                   {"_index":"tmdb","_type":"_doc","_id":"60308","_score":9.25,"sort":[9.25,"60308"]}]}}
                """)));

        var result = await index.LexicalSearchAsync(
            [new WeightedText("boxing", 1f), new WeightedText("boxer", 1f), new WeightedText("prize fight", 0.5f), new WeightedText(" ", 1f)],
            1000, LexicalFields.All, CancellationToken.None);

        AssertWire(wire);
        Assert.Equal([new LexicalHit("1578", 11.5f), new LexicalHit("60308", 9.25f)], result.Hits);
        Assert.Equal(87, result.Total);
    }

    [Fact]
    public async Task The_title_scoped_lexical_query_names_the_title_field_alone()
    {
        var (index, wire) = Create(ElasticsearchCatalogIndexContractTests.Options(),
            new RecordedExchange("POST", "/tmdb/_search?typed_keys=true",
                Json("""
                {"query":{"bool":{"should":[
                   {"multi_match":{"boost":1.0,"fields":["title"],"operator":"or","query":"heist","type":"most_fields"}}]}},
                 "size":1000,"sort":[{"_score":{"order":"desc"}},{"id":{"order":"asc"}}],"_source":false,"track_scores":true,"track_total_hits":true}
                """),
                200, Json("""
                {"took":1,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},
                 "hits":{"total":{"value":3,"relation":"eq"},"max_score":7.25,"hits":[
                   {"_index":"tmdb","_type":"_doc","_id":"8078","_score":7.25,"sort":[7.25,"8078"]}]}}
                """)));

        var result = await index.LexicalSearchAsync([new WeightedText("heist", 1f)], 1000, LexicalFields.Title, CancellationToken.None);

        AssertWire(wire);
        Assert.Equal([new LexicalHit("8078", 7.25f)], result.Hits);
        Assert.Equal(3, result.Total);
    }

    [Fact]
    public async Task A_lexical_query_without_any_text_sends_no_request()
    {
        var (index, wire) = Create(ElasticsearchCatalogIndexContractTests.Options());
        var result = await index.LexicalSearchAsync([new WeightedText("", 1f), new WeightedText("heist", 0f)], 10, LexicalFields.All, CancellationToken.None);
        Assert.Empty(result.Hits);
        Assert.Empty(wire.Sent);
    }

    [Fact]
    public async Task A_search_elasticsearch_answers_as_timed_out_is_a_timeout_not_a_partial_page()
    {
        var (index, wire) = Create(ElasticsearchCatalogIndexContractTests.Options(),
            new RecordedExchange("POST", "/tmdb/_search?typed_keys=true",
                Json("""{"track_total_hits":true,"from":0,"size":10,"query":{"bool":{"must":[{"query_string":{"default_operator":"or","fields":["title^2","overview","tagline"],"query":"a*"}}]}},"timeout":"5000ms"}"""),
                200, Json("""
                    {"took":5001,"timed_out":true,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},
                     "hits":{"total":{"value":1,"relation":"gte"},"max_score":1.0,"hits":[{"_index":"tmdb","_type":"_doc","_id":"m1","_score":1.0,"_source":{"id":"m1","title":"Lantern"}}]}}
                    """)));

        var ex = await Assert.ThrowsAsync<SearchTimeoutException>(() => index.SearchAsync(new SearchQuery { Text = "a*" }, CancellationToken.None));

        AssertWire(wire);
        Assert.Equal(TimeSpan.FromSeconds(5), ex.Budget);
    }

    [Fact]
    public async Task An_import_whose_bulk_has_item_errors_reports_each_refused_record_by_line_and_keeps_the_others()
    {
        var bulkBody = Json("""
            [{"update":{"_id":"ok-1"}},{"doc_as_upsert":true,"doc":{"id":"ok-1","title":"Fine","overview":null,"tagline":null,"genres":[],"release_date":null}},
             {"update":{"_id":"bad-date"}},{"doc_as_upsert":true,"doc":{"id":"bad-date","title":"Dated","overview":null,"tagline":null,"genres":[],"release_date":"next tuesday"}},
             {"update":{"_id":"ok-2"}},{"doc_as_upsert":true,"doc":{"id":"ok-2","title":"Also fine","overview":null,"tagline":null,"genres":[],"release_date":null}}]
            """);
        var (index, wire) = Create(ElasticsearchCatalogIndexContractTests.Options(),
            new RecordedExchange("POST", "/tmdb/_bulk?refresh=wait_for", bulkBody, 200, Json("""
                {"took":4,"errors":true,"items":[
                 {"update":{"_index":"tmdb","_type":"_doc","_id":"ok-1","_version":1,"result":"created","status":201}},
                 {"update":{"_index":"tmdb","_type":"_doc","_id":"bad-date","status":400,"error":{"type":"document_parsing_exception","reason":"[1:54] failed to parse field [release_date] of type [date] in document with id 'bad-date'","index":"tmdb"}}},
                 {"update":{"_index":"tmdb","_type":"_doc","_id":"ok-2","_version":1,"result":"created","status":201}}]}
                """)));
        var importer = new MLOps.Web.Features.Catalog.CatalogImporter(index,
            Microsoft.Extensions.Options.Options.Create(new MLOps.Web.Features.Catalog.CatalogImportOptions()),
            NullLogger<MLOps.Web.Features.Catalog.CatalogImporter>.Instance);
        using var input = new MemoryStream("""
            {"id":"ok-1","title":"Fine"}
            {"id":"bad-date","title":"Dated","release_date":"next tuesday"}
            {"id":"ok-2","title":"Also fine"}
            """u8.ToArray());

        var report = await importer.ImportStreamAsync(input, CancellationToken.None);

        AssertWire(wire);
        Assert.True(report.Succeeded, report.Failure);
        Assert.Equal(2, report.Indexed);
        Assert.Equal(1, report.Skipped);
        var error = Assert.Single(report.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("document_parsing_exception", error.Message, StringComparison.Ordinal);
        Assert.Contains("release_date", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bulk_update_errors_other_than_missing_documents_fail_the_call_naming_the_reason()
    {
        var bulkBody = Json("""
            [{"update":{"_id":"gone","retry_on_conflict":3}},{"doc":{"classification_x":0.5,"classification_model":"m","classified_at":"1970-01-01T00:00:00.000Z"}},
             {"update":{"_id":"bad","retry_on_conflict":3}},{"doc":{"classification_x":0.5,"classification_model":"m","classified_at":"1970-01-01T00:00:00.000Z"}}]
            """);
        var (index, wire) = Create(ElasticsearchCatalogIndexContractTests.Options(),
            new RecordedExchange("POST", "/tmdb/_bulk?refresh=wait_for", bulkBody, 200, Json("""
                {"took":3,"errors":true,"items":[
                 {"update":{"_index":"tmdb","_type":"_doc","_id":"gone","status":404,"error":{"type":"document_missing_exception","reason":"[_doc][gone]: document missing","index":"tmdb"}}},
                 {"update":{"_index":"tmdb","_type":"_doc","_id":"bad","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [classification_x]","index":"tmdb"}}}]}
                """)));
        var scores = new Dictionary<string, float> { ["classification_x"] = 0.5f };

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => index.UpdateClassificationsAsync(
            [new ClassificationUpdate("gone", scores, "m", DateTimeOffset.UnixEpoch), new ClassificationUpdate("bad", scores, "m", DateTimeOffset.UnixEpoch)],
            CancellationToken.None));

        AssertWire(wire);
        Assert.Contains("mapper_parsing_exception", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("document_missing_exception", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_auth_comes_from_configuration_with_the_password_from_a_mounted_file()
    {
        var secret = Path.GetTempFileName();
        await File.WriteAllTextAsync(secret, "s3cret\n");
        try
        {
            var options = ElasticsearchCatalogIndexContractTests.Options();
            options.Username = "elastic";
            options.PasswordFile = secret;
            IConnectionConfigurationValues settings = ElasticsearchClientFactory.CreateSettings(options);
            Assert.Equal("elastic", settings.BasicAuthenticationCredentials.Username);
            Assert.Equal("s3cret", new System.Net.NetworkCredential("", settings.BasicAuthenticationCredentials.Password).Password);

            var (index, wire) = Create(options, new RecordedExchange("GET", "/tmdb/_count", null, 200, Json("""{"count":7,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0}}""")));
            Assert.Equal(7, await index.CountAsync(CancellationToken.None));
            AssertWire(wire);
            Assert.All(wire.Sent, s => Assert.Equal("Basic", s.Authorization));
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void An_api_key_wins_over_basic_auth_and_a_ca_fingerprint_is_applied()
    {
        var options = ElasticsearchCatalogIndexContractTests.Options();
        options.Username = "elastic";
        options.Password = "pw";
        options.ApiKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
        options.CertificateFingerprint = "7A:3B:D2:40";

        var nest = ElasticsearchClientFactory.CreateSettings(options);
        IConnectionConfigurationValues settings = nest;

        Assert.NotNull(settings.ApiKeyAuthenticationCredentials);
        Assert.Null(settings.BasicAuthenticationCredentials);
        Assert.Equal("7A:3B:D2:40", settings.CertificateFingerprint);
        Assert.True(settings.EnableApiVersioningHeader);
        Assert.Equal("tmdb", ((Nest.IConnectionSettingsValues)nest).DefaultIndex);
    }

    [Theory]
    [InlineData("http://a:9200", true)]
    [InlineData("https://a:9200, https://b:9200", true)]
    [InlineData("a:9200", false)]
    [InlineData("ftp://a", false)]
    [InlineData("", false)]
    public void Node_urls_must_be_absolute_http_urls(string value, bool valid) =>
        Assert.Equal(valid, ElasticsearchClientFactory.TryParseUrls(value, out _));
}
