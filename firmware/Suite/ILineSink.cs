namespace Vmap.Suite;

/// <summary>Where the firmware prints its results: the debug/serial output on a board, a text writer on the host.</summary>
public interface ILineSink
{
    /// <summary>Prints one line.</summary>
    void WriteLine(string line);
}
