namespace Zrpc.Conformance.ClientRole;

/// <summary>
/// A client under test. The kit never connects to it: for each client-role scenario it hands the
/// client a script of calls (CLIENT-DRIVER.md section 2) and the address of its fake server, and
/// reads one result line per call (section 3). A driver process (<see cref="ClientDriverTarget"/>)
/// or a client called in-process implements it. It is no <see cref="Adapters.IServerTarget"/>: nothing connects to it.
/// </summary>
public interface IClientTarget : Adapters.ITarget
{
    /// <summary>
    /// Makes the script's calls against <paramref name="address"/> and returns the result lines,
    /// each timestamped when it arrived (<paramref name="onLine"/> sees each as it comes). Stops
    /// the client and sets <see cref="DriverRunResult.Killed"/> when it runs past <paramref name="hardLimit"/>.
    /// </summary>
    Task<DriverRunResult> RunScriptAsync(string address, string script, TimeSpan hardLimit, Action<DriverLine>? onLine, CancellationToken cancellationToken);

    /// <summary>Runs an empty script: null when the client is usable, otherwise why it is not.</summary>
    Task<string?> ProbeAsync(CancellationToken cancellationToken);
}
