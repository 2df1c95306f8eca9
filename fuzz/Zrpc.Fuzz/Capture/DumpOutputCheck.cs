using System.Text;
using System.Text.Json;
using Zrpc.Fuzz.Contract;

namespace Zrpc.Fuzz.Capture;

/// <summary>
/// frame-dump's output is a contract too: `--format json` promises one JSON object per line
/// (its README), and the text listing must be valid UTF-8 whatever bytes the capture held.
/// </summary>
internal static class DumpOutputCheck
{
    public static void RequireJsonLines(MemoryStream output, string what)
    {
        var bytes = output.GetBuffer().AsSpan(0, (int)output.Length);
        int line = 0;
        while (!bytes.IsEmpty)
        {
            int end = bytes.IndexOf((byte)'\n');
            if (end < 0)
            {
                throw new ContractViolationException($"{what}: JSON output does not end with a line feed");
            }

            var record = bytes[..end];
            bytes = bytes[(end + 1)..];
            line++;
            try
            {
                var reader = new Utf8JsonReader(record);
                using var document = JsonDocument.ParseValue(ref reader);
                if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("record", out _))
                {
                    throw new ContractViolationException($"{what}: JSON line {line} is not a record object: {Encoding.UTF8.GetString(record)}");
                }
            }
            catch (JsonException ex)
            {
                throw new ContractViolationException($"{what}: JSON line {line} is not valid JSON ({ex.Message}): {Encoding.UTF8.GetString(record)}", ex);
            }
        }
    }

    public static void RequireUtf8(MemoryStream output, string what)
    {
        if (!System.Text.Unicode.Utf8.IsValid(output.GetBuffer().AsSpan(0, (int)output.Length)))
        {
            throw new ContractViolationException($"{what}: text output is not valid UTF-8");
        }
    }
}
