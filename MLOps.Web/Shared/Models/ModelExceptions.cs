namespace MLOps.Web.Shared.Models;

/// <summary>
/// What can go wrong in the model layer, in its own terms. The registry, the loaded-model cache and
/// the lifecycle throw these and never an HTTP status; <c>Infrastructure/Hosting/ProblemExceptionHandler</c>
/// maps each to a ProblemDetails response, in one place.
/// </summary>
public abstract class ModelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No version with this id is registered.</summary>
public sealed class ModelNotFoundException(string modelId) : ModelException($"Model '{modelId}' is not registered.")
{
    public string ModelId { get; } = modelId;
}

/// <summary>No model is ready to serve: none is active (still loading, or none could be loaded).</summary>
public class ModelUnavailableException(string message) : ModelException(message);

/// <summary>The caller needed the active version's id and none is active.</summary>
public sealed class NoActiveModelException(string message) : ModelUnavailableException(message);

/// <summary>A model package is refused (registration): <see cref="Field"/> names what was wrong, the message says why.</summary>
public sealed class InvalidModelPackageException(string reason, string field = "model") : ModelException(reason)
{
    public string Field { get; } = field;
}

/// <summary>An operation on the models was asked with an argument it cannot take (e.g. a folder that does not exist, a cross-encoder to calibrate).</summary>
public sealed class InvalidModelRequestException(string field, string message) : ModelException(message)
{
    public string Field { get; } = field;
}

/// <summary>The models are in a state the operation conflicts with.</summary>
public abstract class ModelConflictException(string message, Exception? inner = null) : ModelException(message, inner);

/// <summary>The version is registered but cannot be used: its manifest is broken or it cannot be loaded.</summary>
public sealed class ModelUnusableException(string message, Exception? inner = null) : ModelConflictException(message, inner);

/// <summary>What the operation would create is already registered as <see cref="ExistingId"/> (e.g. the int8 copy of the same source).</summary>
public sealed class ModelAlreadyRegisteredException(string existingId, string message) : ModelConflictException(message)
{
    public string ExistingId { get; } = existingId;
}

/// <summary>A rollback was asked and no previous version is recorded.</summary>
public sealed class NothingToRollBackException() : ModelConflictException("No previous model version is recorded.");
