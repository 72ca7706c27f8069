namespace Vmap.Sim;

/// <summary>The runner's entry point (verbs are added by the issues that need them).</summary>
public static class Cli
{
    /// <summary>Runs the command line and returns the exit code.</summary>
    public static int Run(string[] args) => 0;
}
