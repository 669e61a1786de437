namespace MLOps.Web.Tests.Support;

/// <summary>A fact that needs the test redis-server; skipped, saying why, when REDIS_TEST_SERVER is unset.</summary>
public sealed class EvaluationRedisFactAttribute : FactAttribute
{
    public EvaluationRedisFactAttribute()
    {
        if (string.IsNullOrEmpty(TestEnvironment.RedisServer))
        {
            Skip = "REDIS_TEST_SERVER is not set: run the tests with scripts/test.sh (it starts a redis-server) or export REDIS_TEST_SERVER=host:port.";
        }
    }
}
