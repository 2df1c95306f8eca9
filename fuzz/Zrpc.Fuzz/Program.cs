using Zrpc.Fuzz;
using Zrpc.Fuzz.Contract;
using Zrpc.Fuzz.Seeds;

// Zrpc.Fuzz TARGET                      run under afl-fuzz (input on stdin; persistent mode)
// Zrpc.Fuzz replay TARGET FILE...       decode saved inputs once, in process; exit 1 if any breaks the contract
// Zrpc.Fuzz seeds TARGET DIR [FIXTURES] write the seed corpus of TARGET from fixtures/ into DIR
// Zrpc.Fuzz list                        print the targets

static int Usage()
{
    Console.Error.WriteLine("usage: Zrpc.Fuzz TARGET | replay TARGET FILE... | seeds TARGET DIR [FIXTURES] | list");
    Console.Error.WriteLine("targets: " + string.Join(", ", FuzzTargets.All.Select(t => t.Name)));
    return 2;
}

static IFuzzTarget? Target(string name)
{
    var target = FuzzTargets.Find(name);
    if (target is null)
    {
        Console.Error.WriteLine($"Zrpc.Fuzz: unknown target '{name}'");
    }

    return target;
}

if (args.Length == 0)
{
    return Usage();
}

switch (args[0])
{
    case "list":
        foreach (var t in FuzzTargets.All)
        {
            Console.WriteLine($"{t.Name,-12} {t.Description}");
        }

        return 0;

    case "seeds" when args.Length is 3 or 4:
        {
            if (Target(args[1]) is null)
            {
                return 2;
            }

            string fixtures = args.Length == 4 ? args[3] : SeedCorpus.FindFixtures(Directory.GetCurrentDirectory());
            Directory.CreateDirectory(args[2]);
            var seeds = SeedCorpus.For(args[1], fixtures);
            foreach (var seed in seeds)
            {
                File.WriteAllBytes(Path.Combine(args[2], seed.Name), seed.Bytes);
            }

            Console.WriteLine($"{seeds.Count} seeds for {args[1]} in {args[2]}");
            return seeds.Count > 0 ? 0 : 1;
        }

    case "replay" when args.Length >= 3:
        {
            var target = Target(args[1]);
            if (target is null)
            {
                return 2;
            }

            int broken = 0;
            foreach (string file in args.Skip(2))
            {
                try
                {
                    target.Run(File.ReadAllBytes(file));
                    Console.WriteLine($"ok      {file}");
                }
                catch (Exception ex)
                {
                    broken++;
                    Console.WriteLine($"BROKEN  {file}\n{ex}");
                }
            }

            return broken == 0 ? 0 : 1;
        }

    default:
        {
            if (args.Length != 1 || Target(args[0]) is not { } target)
            {
                return Usage();
            }

            void RunOne(Stream stream)
            {
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                target.Run(copy.ToArray());
            }

            // The capture target goes through native code (libpcap) and a parser that can allocate
            // without bound: a segfault or an out-of-memory failure there would kill an in-process
            // fork server and end the whole run. Out of process, SharpFuzz restarts the child and
            // AFL records the input as a crash. The pure managed targets keep the faster in-process loop.
            if (target.NeedsIsolation || Environment.GetEnvironmentVariable("FUZZ_OUT_OF_PROCESS") == "1")
            {
                SharpFuzz.Fuzzer.OutOfProcess.Run(RunOne);
            }
            else
            {
                SharpFuzz.Fuzzer.Run(RunOne);
            }

            return 0;
        }
}
