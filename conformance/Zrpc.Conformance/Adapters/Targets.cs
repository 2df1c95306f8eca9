using Zrpc.Transport;

namespace Zrpc.Conformance.Adapters;

/// <summary>Creates a target from the runner's --target text.</summary>
public static class Targets
{
    /// <summary>Words that select the built-in reference server explicitly.</summary>
    public static bool IsReference(string? text)
        => string.IsNullOrWhiteSpace(text) || text is "reference" or "builtin" or "in-process";

    /// <summary>
    /// <c>tcp://host:port</c>, <c>unix:///path</c>, <c>exec:COMMAND ARGS</c>, or nothing / "reference"
    /// for the built-in reference server, <c>reference+defect:NAME</c> for it with one deliberate
    /// defect (the kit's self-test). Throws <see cref="FormatException"/> for anything else.
    /// </summary>
    public static ITarget Create(string? text, Steps.Wire.KitProfile profile = Steps.Wire.KitProfile.P6ab05ee)
    {
        if (IsReference(text))
        {
            return new ReferenceServerTarget(null, profile);
        }

        if (text!.StartsWith(ReferenceServerTarget.DefectPrefix, StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return new ReferenceServerTarget(Zrpc.Mutants.ServerDefects.Find(text[ReferenceServerTarget.DefectPrefix.Length..]), profile);
            }
            catch (ArgumentException e)
            {
                throw new FormatException(e.Message, e);
            }
        }

        return new TransportTarget(text!, TransportAddress.Parse(text!));
    }
}
