using System.Globalization;
using System.Text.Json;

namespace Zrpc.Conformance.Steps.Wire;

/// <summary>Equality of JSON values as CTS-2 defines it: members in any order, numbers by value.</summary>
public static class JsonEquality
{
    public static bool Equal(JsonElement a, JsonElement b, out string difference, string path = "$")
    {
        difference = "";
        if (a.ValueKind != b.ValueKind)
        {
            difference = $"{path}: {a.ValueKind} expected, {b.ValueKind} received";
            return false;
        }
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var left = a.EnumerateObject().ToList();
                var right = b.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
                if (left.Count != right.Count)
                {
                    difference = $"{path}: {left.Count} members expected, {right.Count} received";
                    return false;
                }
                foreach (var p in left)
                {
                    if (!right.TryGetValue(p.Name, out var other))
                    {
                        difference = $"{path}: member \"{p.Name}\" missing";
                        return false;
                    }
                    if (!Equal(p.Value, other, out difference, $"{path}.{p.Name}")) return false;
                }
                return true;
            case JsonValueKind.Array:
                var la = a.EnumerateArray().ToList();
                var ra = b.EnumerateArray().ToList();
                if (la.Count != ra.Count)
                {
                    difference = $"{path}: {la.Count} elements expected, {ra.Count} received";
                    return false;
                }
                for (var i = 0; i < la.Count; i++)
                    if (!Equal(la[i], ra[i], out difference, $"{path}[{i}]")) return false;
                return true;
            case JsonValueKind.String:
                if (a.GetString() == b.GetString()) return true;
                difference = $"{path}: string differs";
                return false;
            case JsonValueKind.Number:
                if (NumbersEqual(a.GetRawText(), b.GetRawText())) return true;
                difference = $"{path}: {a.GetRawText()} expected, {b.GetRawText()} received";
                return false;
            default:
                return true;
        }
    }

    static bool NumbersEqual(string x, string y)
    {
        if (x == y) return true;
        const NumberStyles style = NumberStyles.Float;
        if (decimal.TryParse(x, style, CultureInfo.InvariantCulture, out var dx)
            && decimal.TryParse(y, style, CultureInfo.InvariantCulture, out var dy))
            return dx == dy;
        return double.Parse(x, CultureInfo.InvariantCulture) == double.Parse(y, CultureInfo.InvariantCulture);
    }
}
