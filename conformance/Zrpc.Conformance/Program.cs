using Zrpc.Conformance.Runner;

return await ConformanceCli.RunAsync(args, Console.Out, Console.Error);
