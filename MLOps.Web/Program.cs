using MLOps.Web.Commands;

// The command line is parsed once (Commands/AppCommand): no verb serves the app; `healthcheck`,
// `import` and `bench ...` run and exit; a bad verb or option prints the usage and exits 2, and so
// does an argument found wrong only when the command runs (e.g. a model the registry lacks).
return await AppCommand.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);

/// <summary>Entry point; public so that WebApplicationFactory can host it in tests.</summary>
public partial class Program;
