using System.Text;
using System.Text.Json;

namespace Zrpc.Fuzz.Seeds;

/// <summary>
/// Decodes the byte strings of fixtures/frames/*.json (fixtures/schema.json "bytes": hex, utf8 and
/// repeat/count segments). Repeats are cut so that no seed grows past <see cref="MaxSeedBytes"/>:
/// AFL works best on small seeds, and a 4 MiB frame adds nothing a truncated one does not.
/// </summary>
public static class FixtureBytes
{
    public const int MaxSeedBytes = 64 * 1024;

    public static byte[] Decode(JsonElement segments)
    {
        var bytes = new List<byte>();
        foreach (var segment in segments.EnumerateArray())
        {
            if (segment.TryGetProperty("hex", out var hex))
            {
                bytes.AddRange(Convert.FromHexString(string.Concat(hex.GetString()!.Where(c => !char.IsWhiteSpace(c)))));
            }
            else if (segment.TryGetProperty("utf8", out var text))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text.GetString()!));
            }
            else if (segment.TryGetProperty("repeat", out var repeat))
            {
                byte[] unit = Convert.FromHexString(string.Concat(repeat.GetString()!.Where(c => !char.IsWhiteSpace(c))));
                long count = segment.GetProperty("count").GetInt64();
                for (long i = 0; i < count && bytes.Count + unit.Length <= MaxSeedBytes; i++)
                {
                    bytes.AddRange(unit);
                }
            }

            if (bytes.Count >= MaxSeedBytes)
            {
                break;
            }
        }

        return bytes.Count > MaxSeedBytes ? bytes.GetRange(0, MaxSeedBytes).ToArray() : bytes.ToArray();
    }
}
