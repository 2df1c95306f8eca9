namespace Zrpc.Rpc;

/// <summary>A registered handler with the body types derived from its signature.</summary>
internal sealed class Endpoint
{
    private readonly Func<object?, CancellationToken, Task<object?>> _invoke;

    public Endpoint(string name, Type requestType, Type responseType, Func<object?, CancellationToken, Task<object?>> invoke)
    {
        Name = name;
        RequestClrType = requestType;
        ResponseClrType = responseType;
        RequestType = RpcJson.DataTypeOf(requestType);
        ResponseType = RpcJson.DataTypeOf(responseType);
        _invoke = invoke;
    }

    public string Name { get; }

    public Type RequestClrType { get; }

    public Type ResponseClrType { get; }

    public DataType RequestType { get; }

    public DataType ResponseType { get; }

    public Task<object?> InvokeAsync(object? request, CancellationToken cancellationToken) => _invoke(request, cancellationToken);

    // Wording follows the 2017 server (wire-facts "The server checks, in order ...").
    public static string Unregistered(string name) => $"unregistered endpoint {name}";

    public string WrongDataType(byte provided, Profile profile = Profile.P6ab05ee)
        => $"wrong DataType for endpoint {Name} (has {profile.Describe(profile.Wire(RequestType))}, you provided {profile.Describe(provided)})";

    public string WrongAccept(byte provided, Profile profile = Profile.P6ab05ee)
        => $"wrong Accept for endpoint {Name} (has {profile.Describe(profile.Wire(ResponseType))}, you provided {profile.Describe(provided)})";

    public static string Describe(byte dataType) => dataType switch
    {
        0 => "DataType(0)",
        1 => "DataTypeNone",
        2 => "DataTypeMarshaledJSON",
        3 => "DataTypeOctets",
        _ => $"DataType({dataType})",
    };
}
