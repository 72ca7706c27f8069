using Spectre.Console;

namespace Vmap.Sim;

/// <summary>
/// Ctrl-C for the long verbs (run, tune, soak). The first Ctrl-C asks the work to stop at its
/// next safe point (after a scenario, a sweep point, a quiescent point): the verb then shows the
/// terminal's cursor again, prints what was done and "interrupted", and exits 130 (128 + SIGINT,
/// the shell's convention). A second Ctrl-C ends the process at once, as usual.
/// </summary>
public sealed class Interrupt : IDisposable
{
    /// <summary>The exit code of an interrupted verb.</summary>
    public const int ExitCode = 130;

    private readonly CancellationTokenSource _cancel = new();

    public Interrupt() => System.Console.CancelKeyPress += OnCancel;

    /// <summary>Cancelled at the first Ctrl-C.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>True once Ctrl-C was pressed.</summary>
    public bool Requested => _cancel.IsCancellationRequested;

    /// <summary>Throws <see cref="OperationCanceledException"/> once Ctrl-C was pressed (call it at a safe point).</summary>
    public void ThrowIfRequested() => _cancel.Token.ThrowIfCancellationRequested();

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        if (_cancel.IsCancellationRequested) return; // the second press: let it end the process
        e.Cancel = true;
        _cancel.Cancel();
    }

    public void Dispose()
    {
        System.Console.CancelKeyPress -= OnCancel;
        _cancel.Dispose();
    }
}

/// <summary>
/// Progress of the long verbs, always on standard error so that standard output holds only
/// results (<c>run &gt; f</c> leaves the results in f): a live bar on a terminal, one plain line
/// per step otherwise. The terminal's cursor is shown again however the work ends.
/// </summary>
public static class ProgressLines
{
    /// <summary>Runs <paramref name="work"/>; it calls the action it is given after each of its <paramref name="total"/> steps with a description.</summary>
    public static void Run(TextWriter error, string title, int total, Action<Action<string>> work)
    {
        if (!Cli.IsTerminal(error))
        {
            error.WriteLine(title);
            work(step => error.WriteLine("  " + step));
            return;
        }
        IAnsiConsole console = Cli.Console(error);
        try
        {
            console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title), maxValue: total);
                    work(step =>
                    {
                        task.Description = Markup.Escape($"{title}: {step}");
                        task.Increment(1);
                    });
                });
        }
        finally
        {
            console.Cursor.Show(true);
        }
    }
}
