namespace Vmap.Tests.Runner;

/// <summary>Runs the simulated board's command line in-process, capturing what it prints.</summary>
internal static class RunnerCli
{
    /// <summary>The exit code, standard output and standard error of one command line.</summary>
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int exit = Vmap.Sim.Cli.Run(args, o, e);
        return (exit, o.ToString(), e.ToString());
    }
}
