using System.CommandLine;
using Zrpc.Transport;

namespace Zrpc.Cli;

internal static class AddressOption
{
    /// <summary>An option whose value is parsed as a <see cref="TransportAddress"/>; a bad address is a usage error.</summary>
    public static Option<TransportAddress> Create(string name, string alias, string description, params TransportKind[] allowed) =>
        new(name, alias)
        {
            Description = description,
            Required = true,
            HelpName = "address",
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                try
                {
                    var address = TransportAddress.Parse(text);
                    if (!allowed.Contains(address.Kind))
                    {
                        result.AddError($"{name}: '{text}' is a {address.Kind.ToString().ToLowerInvariant()} address; allowed here: "
                                        + string.Join(", ", allowed.Select(k => k.ToString().ToLowerInvariant())));
                        return null;
                    }
                    return address;
                }
                catch (FormatException e)
                {
                    result.AddError($"{name}: {e.Message}");
                    return null;
                }
            },
        };
}
