namespace nanoFramework.TestFramework;

/// <summary>The test output (on a board, the debug output the test adapter collects).</summary>
public static class OutputHelper
{
    private static readonly object s_lock = new();

    /// <summary>
    /// Host only: where the output goes while the host launcher runs a class (it gives each
    /// test its own log); null sends it to the console.
    /// </summary>
    internal static Action<string>? Sink { get; set; }

    /// <summary>Writes <paramref name="message"/>.</summary>
    public static void Write(string message) => Emit(message);

    /// <summary>Writes <paramref name="message"/> as one line.</summary>
    public static void WriteLine(string message) => Emit(message + Environment.NewLine);

    private static void Emit(string text)
    {
        lock (s_lock)
        {
            Action<string>? sink = Sink;
            if (sink != null) sink(text);
            else Console.Write(text);
        }
    }
}
