using System.Text;
using Zrpc.Rpc;

namespace Zrpc.SelfTest;

/// <summary>A deliberate defect as the command line and the tables name it.</summary>
public interface IDefect
{
    string Name { get; }

    string Description { get; }
}

/// <summary>Lookup and listing shared by the server and the client catalogues.</summary>
internal static class DefectCatalog
{
    /// <summary>The defect called <paramref name="name"/>; <see cref="ArgumentException"/> lists the valid names.</summary>
    public static T Find<T>(IReadOnlyList<T> all, string name, string kind)
        where T : IDefect
        => all.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
           ?? throw new ArgumentException($"unknown {kind} '{name}'; known: {string.Join(", ", all.Select(d => d.Name))}");

    /// <summary>One line per defect, for --list-defects.</summary>
    public static string Describe<T>(IReadOnlyList<T> all)
        where T : IDefect
    {
        var text = new StringBuilder();
        int width = all.Max(d => d.Name.Length);
        foreach (var defect in all)
        {
            text.Append(defect.Name.PadRight(width + 2)).AppendLine(defect.Description);
        }

        return text.ToString();
    }

    /// <summary>A Header message's content with one field changed, re-encoded canonically.</summary>
    public static byte[] RewriteHeader(byte[] content, Func<RpcHeader, RpcHeader> change)
        => change(RpcHeader.Parse(content)).ToCanonicalBytes();
}
