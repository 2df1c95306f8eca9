using System.Security.Cryptography;

namespace Zrpc.Fuzz.Contract;

/// <summary>
/// What a decoder made of an input, as a list of plain lines ("frame 02/01 len 5 @6",
/// "payload 5 3fa2…", "error FRAME-11"). The decoder's outcome and the independent model's
/// outcome are built the same way and must be equal line for line.
/// </summary>
public sealed class Outcome
{
    private readonly List<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines;

    public void Add(string line) => _lines.Add(line);

    public static string Digest(ReadOnlySpan<byte> bytes)
        => $"{bytes.Length} {Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}";

    /// <summary>Throws a violation naming the first line where the two outcomes differ.</summary>
    public static void RequireEqual(string what, Outcome expected, Outcome actual)
    {
        int n = Math.Max(expected._lines.Count, actual._lines.Count);
        for (int i = 0; i < n; i++)
        {
            string? e = i < expected._lines.Count ? expected._lines[i] : null;
            string? a = i < actual._lines.Count ? actual._lines[i] : null;
            if (e != a)
            {
                throw new ContractViolationException(
                    $"{what}: outcome differs from the model at line {i}: expected '{e ?? "(nothing)"}', got '{a ?? "(nothing)"}'");
            }
        }
    }

    public override string ToString() => string.Join('\n', _lines);
}
