using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MLOps.Web.Tests.Integration.Classification;
using MLOps.Web.Tests.Support;
using MLOps.Web.Tests.Unit.Classification;

namespace MLOps.Web.Tests.Integration.Hardening;

/// <summary>
/// Issue 12: multipart oddities and duplicate zip entries on <c>POST /api/models</c> were 500s, a zip
/// bomb expanded far past the configured limit, and registration by path read any server folder and
/// told whether it existed. Each is a 400 ProblemDetails now, with the exact request, and nothing is
/// registered or left behind.
/// </summary>
#pragma warning disable CA1001 // disposed in DisposeAsync (IAsyncLifetime)
public sealed class ModelRegistrationHardeningTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private readonly string _imports = TempDirectory.Create("hardening-incoming");
    private MLOpsFactory _factory = null!;
    private ModelRooms _rooms = null!;

    public async Task InitializeAsync()
    {
        _factory = new MLOpsFactory(new Dictionary<string, string?>
        {
            ["Models:ImportDirectory"] = _imports,
            ["Models:MaxUploadMegabytes"] = "1",
            ["Evaluation:EvaluateOnRegister"] = "false",
        });
        _rooms = await ClassifierApp.WaitForModelsAsync(_factory);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<(HttpStatusCode Status, string? MediaType, JsonElement Body)> SendAsync(HttpContent content)
    {
        using var client = _factory.CreateClient();
        var response = await client.PostAsync(new Uri("/api/models", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static ByteArrayContent Raw(string body, string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static string FieldError(JsonElement body, string field) => body.GetProperty("errors").GetProperty(field)[0].GetString()!;

    private IReadOnlyList<string> Versions() => [.. _rooms.Store.ListEntries().Select(e => e.Descriptor.Id)];

    public static TheoryData<string, string> MalformedMultipart => new()
    {
        // multipart/form-data with no boundary
        { "multipart/form-data", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.zip\"\r\n\r\nPK\r\n--x--\r\n" },
        // a truncated body: the closing boundary never comes
        { "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.zip\"\r\nContent-Type: application/zip\r\n\r\nPK\u0003\u0004 trunc" },
        // a part with no Content-Disposition
        { "multipart/form-data; boundary=x", "--x\r\nContent-Type: application/zip\r\n\r\nPK\r\n--x--\r\n" },
    };

    [Theory]
    [MemberData(nameof(MalformedMultipart))]
    public async Task A_multipart_body_that_cannot_be_read_is_a_400_naming_file(string contentType, string body)
    {
        var before = Versions();
        var (status, media, problem) = await SendAsync(Raw(body, contentType));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", media);
        Assert.False(string.IsNullOrEmpty(FieldError(problem, "file")));
        Assert.Equal(before, Versions());
    }

    private static byte[] Zip(Action<ZipArchive> fill)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            fill(zip);
        }

        return buffer.ToArray();
    }

    private static void Entry(ZipArchive zip, string name, byte[] data)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
        stream.Write(data);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> UploadAsync(byte[] zip)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(zip);
        form.Add(file, "file", "m.zip");
        var (status, _, body) = await SendAsync(form);
        return (status, body);
    }

    [Fact]
    public async Task A_zip_with_two_entries_of_the_same_name_is_a_400()
    {
        var folder = Path.Combine(TempDirectory.Create("dup"), "tiny");
        new TinyNliModel().WriteTo(folder);
        var zip = Zip(z =>
        {
            foreach (var file in Directory.GetFiles(folder))
            {
                Entry(z, Path.GetFileName(file), File.ReadAllBytes(file));
            }

            Entry(z, "vocab.txt", "[PAD]\n"u8.ToArray());
        });

        var (status, body) = await UploadAsync(zip);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("more than one entry named 'vocab.txt'", FieldError(body, "file"), StringComparison.Ordinal);
        Assert.DoesNotContain(Versions(), v => v.StartsWith("tiny", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_zip_that_expands_past_the_limit_is_refused_on_its_declared_size()
    {
        var zip = Zip(z => Entry(z, "model.onnx", new byte[3 << 20]));
        Assert.True(zip.Length < 64 << 10, $"the bomb is {zip.Length} bytes");
        var (status, body) = await UploadAsync(zip);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("1 MiB", FieldError(body, "file"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zip_that_lies_about_its_sizes_stops_extracting_at_the_limit()
    {
        var before = Versions();
        var zip = Zip(z => Entry(z, "model.onnx", new byte[3 << 20]));
        // Declare 1000 bytes uncompressed in the local header (offset 22) and the central directory (offset 24).
        var local = 0;
        BitConverter.GetBytes(1000u).CopyTo(zip, local + 22);
        var central = IndexOf(zip, [0x50, 0x4B, 0x01, 0x02]);
        BitConverter.GetBytes(1000u).CopyTo(zip, central + 24);

        // .NET's entry stream stops at the declared size (or, with other lies, the running total of the
        // bytes written stops at the limit): either way the 3 MiB never land, and the upload is refused.
        var (status, body) = await UploadAsync(zip);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.DoesNotContain("/tmp", body.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(before, Versions());
    }

    private static int IndexOf(byte[] data, byte[] pattern)
    {
        for (var i = data.Length - pattern.Length; i >= 0; i--)
        {
            if (data.AsSpan(i, pattern.Length).SequenceEqual(pattern))
            {
                return i;
            }
        }

        throw new InvalidOperationException("pattern not found");
    }

    [Fact]
    public async Task A_broken_upload_is_refused_without_naming_a_temp_or_staging_path()
    {
        var zip = Zip(z => Entry(z, "model.onnx", [1, 2, 3]));
        var (status, body) = await UploadAsync(zip);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var text = body.GetRawText();
        Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), text, StringComparison.Ordinal);
        Assert.DoesNotContain("mlops-upload", text, StringComparison.Ordinal);
        Assert.DoesNotContain(".staging", text, StringComparison.Ordinal);
        Assert.DoesNotContain(_rooms.Store.Root, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("/no/such/folder")]
    [InlineData("../")]
    [InlineData("../../etc")]
    public async Task A_path_outside_the_import_directory_gets_one_answer_whether_or_not_it_exists(string path)
    {
        using var client = _factory.CreateClient();
        var response = await client.PostAsJsonAsync(new Uri("/api/models", UriKind.Relative), new { path });
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(MLOps.Web.Features.Models.ModelImportDirectory.Outside, FieldError(body, "path"));
        Assert.DoesNotContain(_imports, body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_link_inside_the_import_directory_that_points_outside_is_refused_like_the_outside()
    {
        var outside = Path.Combine(TempDirectory.Create("outside"), "tiny");
        new TinyNliModel().WriteTo(outside);
        Directory.CreateSymbolicLink(Path.Combine(_imports, "linked"), outside);
        using var client = _factory.CreateClient();
        var response = await client.PostAsJsonAsync(new Uri("/api/models", UriKind.Relative), new { path = "linked" });
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(MLOps.Web.Features.Models.ModelImportDirectory.Outside, FieldError(body, "path"));
    }

    [Fact]
    public async Task A_folder_in_the_import_directory_registers_by_its_relative_name()
    {
        new TinyNliModel().WriteTo(Path.Combine(_imports, "tiny-relative"));
        using var client = _factory.CreateClient();
        var response = await client.PostAsJsonAsync(new Uri("/api/models", UriKind.Relative), new { path = "tiny-relative" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.Equal("tiny-nli@1", JsonDocument.Parse(text).RootElement.GetProperty("id").GetString());

        var missing = await client.PostAsJsonAsync(new Uri("/api/models", UriKind.Relative), new { path = "not-there" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("no folder 'not-there'", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
