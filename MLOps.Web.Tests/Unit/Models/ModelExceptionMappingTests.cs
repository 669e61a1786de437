using MLOps.Web.Infrastructure.Hosting;
using MLOps.Web.Shared.Models;

namespace MLOps.Web.Tests.Unit.Models;

/// <summary>The one place where the model layer's domain exceptions become HTTP statuses, titles and <c>errors</c>.</summary>
public sealed class ModelExceptionMappingTests
{
    public static TheoryData<ModelException, int, string, string?> Cases => new()
    {
        { new ModelNotFoundException("m@1"), 404, "Not found", null },
        { new ModelUnavailableException("Loading model m@1."), 503, "Model not ready", null },
        { new NoActiveModelException("No model version is active."), 503, "No active model", null },
        { new InvalidModelPackageException("Missing model file 'model.onnx'."), 400, "Model refused", "model" },
        { new InvalidModelRequestException("path", "'/x' is not a folder."), 400, "Invalid request", "path" },
        { new ModelUnusableException("Model m@1 cannot be loaded: broken."), 409, "Model unusable", null },
        { new NothingToRollBackException(), 409, "Nothing to roll back to", null },
        { new ModelAlreadyRegisteredException("m-int8@1", "m-int8@1 is already the int8 copy of m@1."), 409, "Already registered", null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_model_exception_has_its_status_title_and_field(ModelException exception, int status, string title, string? field)
    {
        var (s, t, errors) = ProblemExceptionHandler.Map(exception);
        Assert.Equal((status, title), (s, t));
        if (field is null)
        {
            Assert.Null(errors);
        }
        else
        {
            Assert.Equal([exception.Message], Assert.Single(errors!, e => e.Key == field).Value);
        }
    }
}
