using System.Text.RegularExpressions;
using NUnit.Framework;
using PuppeteerSharp;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Reporting;

/// <summary>
/// The reports as a reader sees them: a run with two targets and failures is rendered in a real
/// browser (the system Chromium, headless), and what is visible on the page must agree with the
/// console. A report that exists but says "passed" over failures is the defect these catch.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class BrowserReportTests
{
    private static readonly string[] ChromiumPaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    private string _directory = null!;
    private string _console = null!;
    private IBrowser _browser = null!;

    [OneTimeSetUp]
    public async Task RunTwoTargetsAndStartTheBrowser()
    {
        var chromium = ChromiumPaths.FirstOrDefault(File.Exists);
        if (chromium is null)
        {
            Assert.Ignore("no Chromium installed (Debian package chromium; test.sh installs it as root)");
        }

        _directory = Directory.CreateTempSubdirectory("zrpc-browser-").FullName;
        var (code, output, error) = await Infrastructure.RunnerProcess.RunSelfTestAsync("--target", "reference", "--target", "reference+defect:rst-ignored",
            "--section", "connection", "--html", Path.Combine(_directory, "kit.html"), "--cucumber-html", Path.Combine(_directory, "cucumber.html"));
        _console = output;
        Assert.That(code, Is.EqualTo(ExitCodes.MustFailed), output + error);

        _browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    [OneTimeTearDown]
    public async Task StopTheBrowser()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        if (_directory is not null) Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The console's "N PASS, N WARN, N FAIL" counts.</summary>
    private (int Pass, int Warn, int Fail) ConsoleCounts()
    {
        var match = VerdictLine().Match(_console);
        Assert.That(match.Success, Is.True, "no verdicts line on the console:\n" + _console);
        return (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value), int.Parse(match.Groups[3].Value));
    }

    private async Task<IPage> OpenAsync(string file)
    {
        var page = await _browser.NewPageAsync();
        await page.GoToAsync(new Uri(Path.Combine(_directory, file)).AbsoluteUri, WaitUntilNavigation.Load);
        return page;
    }

    [Test]
    public async Task The_kit_report_shows_the_summary_the_matrix_and_a_failure_in_full()
    {
        var (pass, warn, fail) = ConsoleCounts();
        Assert.That(fail, Is.GreaterThan(0), "the defect must fail something");
        await using var page = await OpenAsync("kit.html");
        var text = await page.EvaluateExpressionAsync<string>("document.body.innerText");

        var summary = _console.TrimEnd().Split('\n')[^1];
        Assert.That(text, Does.Contain(summary), "the summary line as on the console");

        // The matrix: one row per scenario, a column per target; the broken target's FAIL cells.
        var cells = await page.EvaluateExpressionAsync<string[][]>(
            "Array.from(document.querySelectorAll('#matrix tr')).slice(1).map(r => Array.from(r.cells).map(c => c.innerText.trim()))");
        Assert.That(cells, Has.Length.EqualTo((pass + warn + fail) / 2), "one row per scenario, each run against both targets");
        Assert.That(cells.Count(r => r[^2] == "FAIL"), Is.Zero, "the reference passes every MUST");
        Assert.That(cells.Count(r => r[^1] == "FAIL") + cells.Count(r => r[^2] == "FAIL"), Is.EqualTo(fail), "FAIL cells = console FAIL count");

        // One failure's details: the requirement sentence, the traffic (behind a click), the replay command.
        var failing = cells.First(r => r[^1] == "FAIL")[1];
        Assert.That(text, Does.Contain("CONN-2 (MUST) A peer that receives an RST frame MUST treat the connection as ended"));
        Assert.That(text, Does.Contain("replay: ").And.Contain("--only " + failing.Split('/')[0]));
        Assert.That(text, Does.Not.Contain("| RST frame"), "the traffic is folded until opened");
        await page.EvaluateExpressionAsync("document.querySelectorAll('details').forEach(d => d.open = true)");
        var opened = await page.EvaluateExpressionAsync<string>("document.body.innerText");
        Assert.That(opened, Does.Contain("RST frame, end=0x01"), "the annotated traffic of the failure");
    }

    [Test]
    public async Task Reqnrolls_cucumber_report_shows_each_targets_failures_with_the_console_counts()
    {
        var (pass, warn, fail) = ConsoleCounts();
        await using var page = await OpenAsync("cucumber.html");
        // The report is drawn by a script from the embedded messages.
        await page.WaitForFunctionAsync("() => document.body.innerText.includes('Scenarios')", new WaitForFunctionOptions { Timeout = 30_000 });
        var text = await page.EvaluateExpressionAsync<string>("document.body.innerText");

        // Cucumber has no warning status: a broken SHOULD (WARN) is a failed test case there.
        var total = pass + warn + fail;
        Assert.That(text, Does.Contain($"({pass} / {total}) passed"), text[..Math.Min(600, text.Length)]);
        Assert.That(text, Does.Not.Contain($"({total} / {total}) passed"));
        var flat = Regex.Replace(text, @"\s+", " ");
        var counts = CucumberCounts().Match(flat);
        Assert.That(counts.Success, Is.True, "passed/failed counts on the page: " + flat[..Math.Min(800, flat.Length)]);
        Assert.That((int.Parse(counts.Groups[1].Value), int.Parse(counts.Groups[2].Value)), Is.EqualTo((pass, warn + fail)));

        // Both targets' runs are listed as features of their own.
        Assert.That(text, Does.Contain("07-connection.feature"));
        Assert.That(text, Does.Contain("target 2: reference with defect rst-ignored (in-process)/07-connection.feature"));
    }

    [Test]
    public async Task Reqnrolls_cucumber_report_draws_an_empty_quoted_argument_as_two_quotes()
    {
        // "the response ErrorMessage is ''": an argument that matched the empty string.
        var (code, output, error) = await Infrastructure.RunnerProcess.RunAsync("--only", "cts-request-objects-lenient/fail-absent",
            "--cucumber-html", Path.Combine(_directory, "empty-argument.html"));
        Assert.That(code, Is.EqualTo(ExitCodes.Success), output + error);
        await using var page = await OpenAsync("empty-argument.html");
        await page.WaitForFunctionAsync("() => document.body.innerText.includes('Scenarios')", new WaitForFunctionOptions { Timeout = 30_000 });
        // The outline's example row is folded: open it as a reader would.
        await page.EvaluateExpressionAsync("document.querySelectorAll('[aria-expanded=\"false\"]').forEach(b => b.click())");
        await page.WaitForFunctionAsync("() => document.body.innerText.includes('ErrorMessage is')", new WaitForFunctionOptions { Timeout = 10_000 });
        var steps = (await page.EvaluateExpressionAsync<string[]>(
            "Array.from(document.querySelectorAll('li[data-status] h3')).map(h => h.children[0].innerText + ' ' + Array.from(h.children).slice(1).map(c => c.innerText).join(''))"))
            .Select(s => Regex.Replace(s, @"\s+", " ").Trim()).ToArray();

        Assert.That(steps, Has.Member("And the response ErrorMessage is ''"), "the step exactly as written: " + string.Join(" | ", steps));
        Assert.That(steps, Has.Member("When the client calls Fail with JSON body '{}'"), "the other arguments are still drawn");
        var text = await page.EvaluateExpressionAsync<string>("document.body.innerText");
        Assert.That(text, Does.Not.Contain("is 'the response"), "the step text drawn inside its own quotes");
    }

    [GeneratedRegex(@"verdicts: (\d+) PASS, (\d+) WARN, (\d+) FAIL")]
    private static partial Regex VerdictLine();

    [GeneratedRegex(@"passed\s*(\d+)\s*failed\s*(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex CucumberCounts();
}
