using System.CommandLine;
using System.Net.Sockets;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Cli;

/// <summary>
/// <c>zrpc serve</c>: runs the Conformance Test Service (CTS-1) on one address. Everything it says
/// goes to stderr, because in stdio mode stdout is the wire.
/// </summary>
internal static class ServeCommand
{
    /// <summary>Beyond the server's own shutdown grace: a read that ignores cancellation (stdin) must not hang the exit.</summary>
    private static readonly TimeSpan ExitMargin = TimeSpan.FromSeconds(5);

    /// <summary>The library's defaults, which the options' defaults show.</summary>
    private static readonly RpcServerOptions Defaults = new();

    /// <summary>The values of --connection-threading.</summary>
    private static readonly Dictionary<ConnectionThreading, string> ThreadingNames = new()
    {
        [ConnectionThreading.Auto] = "auto",
        [ConnectionThreading.Async] = "async",
        [ConnectionThreading.ThreadPerConnection] = "thread-per-connection",
    };

    /// <summary>A timeout as the command line writes it: seconds, 0 for none.</summary>
    private static double Seconds(TimeSpan timeout) => timeout == Timeout.InfiniteTimeSpan ? 0 : timeout.TotalSeconds;

    /// <summary>The hardening limits of <see cref="RpcServerOptions"/>, as options of `serve`.</summary>
    private sealed record Limits(Option<double> Idle, Option<int> MaxConnections, Option<long> MaxJsonBody, Option<int> MaxJsonDepth, Option<double> ShutdownGrace, Option<double> MinBodyRate,
        Option<double> FirstRequest, Option<double> SendTimeout, Option<long> MaxJsonMemory)
    {
        public static Limits Create() => new(
            new Option<double>("--idle-timeout") { Description = "Seconds a connection may stay idle between requests before it is closed (CONN-6); 0 = no limit.", DefaultValueFactory = _ => Seconds(Defaults.IdleTimeout), HelpName = "seconds" },
            new Option<int>("--max-connections") { Description = "Connections served at once; at the limit a new connection takes the slot of the one idle longest, or is closed when none is idle.", DefaultValueFactory = _ => Defaults.MaxConnections, HelpName = "n" },
            new Option<long>("--max-json-body") { Description = "Largest JSON request body decoded; larger ones are drained and answered RequestError (SRV-12).", DefaultValueFactory = _ => Defaults.MaxJsonBody, HelpName = "bytes" },
            new Option<int>("--max-json-depth") { Description = "Deepest JSON nesting decoded; deeper bodies are answered RequestError (SRV-12).", DefaultValueFactory = _ => Defaults.MaxJsonDepth, HelpName = "n" },
            new Option<double>("--shutdown-grace") { Description = "On Ctrl-C/SIGTERM, seconds calls in flight get to finish; then their connections get RST.", DefaultValueFactory = _ => Seconds(Defaults.ShutdownGrace), HelpName = "seconds" },
            new Option<double>("--min-body-rate") { Description = "Slowest average rate a request body may arrive at once the read timeout has passed since its start (CONN-5); 0 = no floor.", DefaultValueFactory = _ => Defaults.MinRequestBodyRate, HelpName = "bytes/s" },
            new Option<double>("--first-request-timeout") { Description = "Seconds a new connection may stay silent before its first request starts (CONN-7); 0 = no limit but --idle-timeout.", DefaultValueFactory = _ => Seconds(Defaults.FirstRequestTimeout), HelpName = "seconds" },
            new Option<double>("--send-timeout") { Description = "Seconds one write to a client may make no progress (it does not read its response) before the connection is ended (CONN-8); 0 = no limit.", DefaultValueFactory = _ => Seconds(Defaults.SendTimeout), HelpName = "seconds" },
            new Option<long>("--max-json-memory") { Description = "Bytes all JSON request bodies being decoded may hold together; a body that does not fit is drained and answered RequestError (SRV-12).", DefaultValueFactory = _ => Defaults.MaxJsonBodiesTotal, HelpName = "bytes" });

        public IEnumerable<Option> All => [Idle, MaxConnections, MaxJsonBody, MaxJsonDepth, ShutdownGrace, MinBodyRate, FirstRequest, SendTimeout, MaxJsonMemory];

        /// <summary>Fills the options, or returns what is wrong with the values.</summary>
        public string? ApplyTo(ParseResult result, RpcServerOptions options)
        {
            double idle = result.GetValue(Idle), grace = result.GetValue(ShutdownGrace), rate = result.GetValue(MinBodyRate);
            int connections = result.GetValue(MaxConnections), depth = result.GetValue(MaxJsonDepth);
            long body = result.GetValue(MaxJsonBody), memory = result.GetValue(MaxJsonMemory);
            double first = result.GetValue(FirstRequest), send = result.GetValue(SendTimeout);
            if (first < 0 || double.IsNaN(first)) return $"--first-request-timeout must be 0 or more seconds, not {first}";
            if (send < 0 || double.IsNaN(send)) return $"--send-timeout must be 0 or more seconds, not {send}";
            if (memory < 1) return $"--max-json-memory must be at least 1 byte, not {memory}";
            if (idle < 0 || double.IsNaN(idle)) return $"--idle-timeout must be 0 or more seconds, not {idle}";
            if (grace < 0 || double.IsNaN(grace)) return $"--shutdown-grace must be 0 or more seconds, not {grace}";
            if (connections < 1) return $"--max-connections must be at least 1, not {connections}";
            if (depth < 1) return $"--max-json-depth must be at least 1, not {depth}";
            if (body < 1) return $"--max-json-body must be at least 1 byte, not {body}";
            if (rate < 0 || double.IsNaN(rate)) return $"--min-body-rate must be 0 or more bytes per second, not {rate}";
            options.IdleTimeout = idle == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(idle);
            options.ShutdownGrace = TimeSpan.FromSeconds(grace);
            options.MaxConnections = connections;
            options.MaxJsonDepth = depth;
            options.MaxJsonBody = body;
            options.MinRequestBodyRate = rate;
            options.FirstRequestTimeout = first == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(first);
            options.SendTimeout = send == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(send);
            options.MaxJsonBodiesTotal = memory;
            return null;
        }
    }

    /// <param name="program">The command's name in its messages.</param>
    /// <param name="variant">What another host adds (the kit's self-test); null for <c>zrpc</c>.</param>
    public static Command Create(string program = "zrpc", CommandVariant<ServerChange>? variant = null)
    {
        var listen = AddressOption.Create("--listen", "-l",
            "Where to accept connections: tcp://HOST:PORT (port 0 picks a free one; the real address is logged), " +
            "unix:///PATH, or stdio (exactly one connection over stdin/stdout; exits when it ends).",
            TransportKind.Tcp, TransportKind.Unix, TransportKind.Stdio);
        var readTimeout = new Option<double>("--read-timeout")
        {
            Description = "Seconds a frame or message may stay incomplete before the connection is ended (CONN-5); 0 disables.",
            DefaultValueFactory = _ => Seconds(Defaults.ReadTimeout),
            HelpName = "seconds",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Log nothing (not even errors) to stderr." };
        var threading = new Option<string>("--connection-threading")
        {
            Description = "How tcp/unix connections wait for requests: async (asynchronous reads on the thread pool), auto (a thread of its own with blocking socket calls for the first " +
                          "--threaded-connections connections open at once, asynchronous reads for the rest: faster for clients that block in read themselves), or thread-per-connection (a thread for every open connection).",
            DefaultValueFactory = _ => ThreadingNames[Defaults.ConnectionThreading],
            HelpName = "mode",
        };
        threading.AcceptOnlyFromAmong([.. ThreadingNames.Values]);
        var threadedConnections = new Option<int>("--threaded-connections")
        {
            // No default shown: it depends on the machine's cores, and the help text must not.
            Description = "With --connection-threading auto: how many connections open at once get a thread of their own. Default: 2 per core, at least 4, at most 64.",
            HelpName = "n",
        };
        var threadPerConnection = new Option<bool>("--thread-per-connection")
        {
            Description = "Same as --connection-threading thread-per-connection.",
        };
        listen.Required = false;
        var limits = Limits.Create();

        var profile = ProfileOption.Create("every connection speaks");
        var command = new Command("serve",
            "Serve the Conformance Test Service (Echo, Fail, Source, Sink) until stopped with Ctrl-C or SIGTERM (exit 0). " +
            "Connections and errors are logged to stderr, never stdout.")
        {
            listen,
            readTimeout,
            quiet,
            threading,
            threadedConnections,
            threadPerConnection,
            profile,
        };
        foreach (var option in limits.All.Concat(variant?.Options ?? []))
        {
            command.Options.Add(option);
        }
        command.SetAction((parseResult, cancellationToken) =>
        {
            if (variant?.Answer(parseResult) is { } answered)
            {
                return Task.FromResult(answered);
            }

            var address = parseResult.GetValue(listen);
            if (address is null)
            {
                Console.Error.WriteLine($"{program} serve: --listen is required");
                return Task.FromResult(ExitCodes.Usage);
            }

            ServerChange? chosen;
            try
            {
                chosen = variant?.Choose(parseResult);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"{program} serve: {e.Message}");
                return Task.FromResult(ExitCodes.Usage);
            }

            if (ProfileOption.Read(parseResult, profile, "serve") is not { } chosenProfile)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var options = new RpcServerOptions { Profile = chosenProfile };
            var chosenThreading = ThreadingNames.Single(n => n.Value == parseResult.GetValue(threading)).Key;
            if (parseResult.GetValue(threadPerConnection))
            {
                if (parseResult.GetResult(threading) is { Implicit: false } && chosenThreading != ConnectionThreading.ThreadPerConnection)
                {
                    Console.Error.WriteLine($"{program} serve: --thread-per-connection contradicts --connection-threading {ThreadingNames[chosenThreading]}");
                    return Task.FromResult(ExitCodes.Usage);
                }

                chosenThreading = ConnectionThreading.ThreadPerConnection;
            }

            options.ConnectionThreading = chosenThreading;
            if (parseResult.GetResult(threadedConnections) is { Implicit: false })
            {
                int threaded = parseResult.GetValue(threadedConnections);
                if (threaded < 1)
                {
                    Console.Error.WriteLine($"{program} serve: --threaded-connections must be at least 1, not {threaded}");
                    return Task.FromResult(ExitCodes.Usage);
                }

                options.ThreadedConnections = threaded;
            }
            if (limits.ApplyTo(parseResult, options) is { } problem)
            {
                Console.Error.WriteLine($"{program} serve: {problem}");
                return Task.FromResult(ExitCodes.Usage);
            }

            return RunAsync(program, address, parseResult.GetValue(readTimeout), parseResult.GetValue(quiet), chosen, options, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(string program, TransportAddress address, double readTimeoutSeconds, bool quiet, ServerChange? change, RpcServerOptions options, CancellationToken outer)
    {
        Action<string>? log = quiet ? null : line => Console.Error.WriteLine($"{program} serve: {DateTime.Now:HH:mm:ss.fff} {line}");
        if (readTimeoutSeconds < 0 || double.IsNaN(readTimeoutSeconds))
        {
            Console.Error.WriteLine($"{program} serve: --read-timeout must be 0 or more seconds, not {readTimeoutSeconds}");
            return ExitCodes.Usage;
        }

        options.ReadTimeout = readTimeoutSeconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(readTimeoutSeconds);
        options.Log = log;
        change?.Apply(options);
        var server = new RpcServer(options);
        ConformanceService.Register(server);

        IConnectionListener listener;
        try
        {
            listener = Listeners.Listen(address);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            if (!quiet) Console.Error.WriteLine($"{program} serve: cannot listen on {address}: {e.Message}");
            return ExitCodes.ProtocolOrTransport;
        }

        using var termination = new Termination(outer);
        await using (listener)
        {
            log?.Invoke($"listening on {DescribeBound(listener, address)}");
            if (change is not null)
            {
                // Loud on purpose, even with --quiet: a variant must never be mistaken for the reference server.
                Console.Error.WriteLine($"{program} serve: WARNING: {change.Warning}");
            }
            var serving = server.ServeAsync(change?.WrapListener(listener) ?? listener, termination.Token);
            try
            {
                await serving.WaitAsync(termination.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (termination.Token.IsCancellationRequested)
            {
                log?.Invoke("stopping");
                // Stop accepting at once; a connection blocked in a read that ignores cancellation
                // (stdin) must not keep the process alive forever.
                await listener.DisposeAsync().ConfigureAwait(false);
                try
                {
                    await serving.WaitAsync(options.ShutdownGrace + ExitMargin).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    log?.Invoke($"connections still open after {(options.ShutdownGrace + ExitMargin).TotalSeconds:0} s; exiting anyway");
                }
            }
        }
        log?.Invoke("stopped");
        return ExitCodes.Ok;
    }

    private static string DescribeBound(IConnectionListener listener, TransportAddress requested) => listener switch
    {
        TcpConnectionListener tcp => tcp.Address.ToString(),
        UnixConnectionListener unix => unix.Address.ToString(),
        _ => requested.ToString(),
    };
}
