using System.Text.Json;
using System.Text.Json.Serialization;

namespace Zrpc.Spec;

/// <summary>
/// The id of one normative sentence of the specification (spec/*.md), such as <c>FRAME-6</c>: the
/// one type the reference library, the conformance kit and frame-dump cite requirements with.
/// The ids the library names are declared here (a test checks each against the spec, so the
/// library need not load the spec to throw); any other id comes from <see cref="Of"/>, which
/// refuses one the spec does not define.
/// </summary>
[JsonConverter(typeof(RequirementIdJsonConverter))]
public readonly struct RequirementId : IEquatable<RequirementId>
{
    private readonly string? _value;

    private RequirementId(string value) => _value = value;

    /// <summary>The id as the spec writes it.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>The area before the dash: FRAME, MSG, CONN, ...</summary>
    public string Area => Value.Contains('-') ? Value[..Value.IndexOf('-')] : Value;

    /// <summary>
    /// An id from text, such as one read from a report or a capture annotation. Checks only the
    /// shape (capital letters, a dash, a number); whether the spec has it is the spec's to say.
    /// </summary>
    public static RequirementId Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int dash = value.IndexOf('-');
        bool shaped = dash > 0 && dash < value.Length - 1
            && value.AsSpan(0, dash).IndexOfAnyExceptInRange('A', 'Z') < 0
            && value.AsSpan(dash + 1).IndexOfAnyExceptInRange('0', '9') < 0;
        return shaped ? new RequirementId(value) : throw new FormatException($"'{value}' is not a requirement id (AREA-N, e.g. FRAME-6)");
    }

    /// <summary>
    /// The id if the spec built into this assembly defines it; <see cref="UnknownRequirementException"/>
    /// otherwise. This is how code names a requirement that is not declared below.
    /// </summary>
    public static RequirementId Of(string value) => RequirementCatalog.Embedded.Id(value);

    public static readonly RequirementId Frame2 = new("FRAME-2");
    public static readonly RequirementId Frame5 = new("FRAME-5");
    public static readonly RequirementId Frame6 = new("FRAME-6");
    public static readonly RequirementId Frame10 = new("FRAME-10");
    public static readonly RequirementId Frame11 = new("FRAME-11");
    public static readonly RequirementId Msg3 = new("MSG-3");
    public static readonly RequirementId Msg5 = new("MSG-5");
    public static readonly RequirementId Msg7 = new("MSG-7");
    public static readonly RequirementId Conn2 = new("CONN-2");
    public static readonly RequirementId Conn3 = new("CONN-3");
    public static readonly RequirementId Conn4 = new("CONN-4");
    public static readonly RequirementId Conn5 = new("CONN-5");
    public static readonly RequirementId Hdr4 = new("HDR-4");
    public static readonly RequirementId Hdr5 = new("HDR-5");
    public static readonly RequirementId Hdr6 = new("HDR-6");
    public static readonly RequirementId Rpc7 = new("RPC-7");
    public static readonly RequirementId Srv12 = new("SRV-12");
    public static readonly RequirementId Cli2 = new("CLI-2");
    public static readonly RequirementId Cli3 = new("CLI-3");
    public static readonly RequirementId Cli4 = new("CLI-4");
    public static readonly RequirementId Cli5 = new("CLI-5");
    public static readonly RequirementId Cli6 = new("CLI-6");
    public static readonly RequirementId Facli4 = new("FACLI-4");

    /// <summary>Every id declared above.</summary>
    public static IReadOnlyList<RequirementId> Declared { get; } =
    [
        Frame2, Frame5, Frame6, Frame10, Frame11, Msg3, Msg5, Msg7, Conn2, Conn3, Conn4, Conn5,
        Hdr4, Hdr5, Hdr6, Rpc7, Srv12, Cli2, Cli3, Cli4, Cli5, Cli6, Facli4,
    ];

    public bool Equals(RequirementId other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is RequirementId other && Equals(other);

    public override int GetHashCode() => Value.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Value;

    public static bool operator ==(RequirementId left, RequirementId right) => left.Equals(right);

    public static bool operator !=(RequirementId left, RequirementId right) => !left.Equals(right);

    /// <summary>Reports, logs and the kit's verdicts carry ids as text.</summary>
    public static implicit operator string(RequirementId id) => id.Value;
}

/// <summary>A requirement id in JSON is the string the spec writes ("FRAME-6").</summary>
public sealed class RequirementIdJsonConverter : JsonConverter<RequirementId>
{
    public override RequirementId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => RequirementId.Parse(reader.GetString() ?? throw new JsonException("a requirement id is a string"));

    public override void Write(Utf8JsonWriter writer, RequirementId value, JsonSerializerOptions options)
        => writer.WriteStringValue(value.Value);
}
