using System.Diagnostics;

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

    /// <summary>The repository's root: the directory above the tests that holds Firmware.sln.</summary>
    public static string RepositoryRoot()
    {
        for (string? d = AppContext.BaseDirectory; d != null; d = Path.GetDirectoryName(d))
        {
            if (File.Exists(Path.Combine(d, "Firmware.sln"))) return d;
        }
        throw new InvalidOperationException("no Firmware.sln above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Starts the runner as its own process (vmap-sim.dll, built next to the tests) in
    /// <paramref name="workingDirectory"/>, with standard input, output and error redirected.
    /// </summary>
    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vmap-sim.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("VMAP_BOARDS");
        if (environment != null)
        {
            foreach (var (k, v) in environment) info.Environment[k] = v;
        }
        return Process.Start(info)!;
    }

    /// <summary>Runs the runner as a process to its end; returns the exit code, standard output and standard error.</summary>
    public static (int Exit, string Out, string Err) RunProcess(string workingDirectory, string? stdin, params string[] args) =>
        RunProcess(workingDirectory, stdin, null, args);

    public static (int Exit, string Out, string Err) RunProcess(string workingDirectory, string? stdin, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using Process p = Start(workingDirectory, environment, args);
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> e = p.StandardError.ReadToEndAsync();
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(true);
            throw new TimeoutException("vmap-sim " + string.Join(' ', args) + " did not finish");
        }
        return (p.ExitCode, o.Result, e.Result);
    }
}
