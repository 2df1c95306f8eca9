using System.Text.Json;

namespace FrameDump.Tests;

/// <summary>The JSON lines schema, the text listing, the summary and the filters.</summary>
public class OutputTests
{
    private static string StandardCapture() =>
        ReassemblyAndDecodingTests.Standard().WritePcap(Harness.TempFile("std.pcap"));

    [Test]
    public void JsonLines_HaveTheDocumentedFields()
    {
        var lines = Harness.RunJson(new DumpOptions { CaptureFile = StandardCapture() });

        Assert.That(lines.Select(l => l.GetProperty("record").GetString()).Distinct(),
            Is.EquivalentTo(new[] { "connection", "profile", "frame", "message", "call", "close" }));
        var connection = lines.First();
        Assert.That(connection.GetProperty("client").GetString(), Is.EqualTo("10.0.0.1:41000"));
        Assert.That(connection.GetProperty("handshake").GetBoolean(), Is.True);

        var frame = lines.First(l => l.GetProperty("record").GetString() == "frame");
        Assert.That(frame.GetProperty("dir").GetString(), Is.EqualTo("c2s"));
        Assert.That(frame.GetProperty("type").GetString(), Is.EqualTo("Header"));
        Assert.That(frame.GetProperty("type_byte").GetInt32(), Is.EqualTo(1));
        Assert.That(frame.GetProperty("end").GetBoolean(), Is.True);
        Assert.That(frame.GetProperty("length").GetInt64(), Is.EqualTo(Wire.HeaderJson("Echo", 2, 2).Length));
        Assert.That(frame.GetProperty("endpoint").GetString(), Is.EqualTo("Echo"));
        Assert.That(frame.GetProperty("offset").GetInt64(), Is.EqualTo(0));

        var header = lines.First(l => l.GetProperty("record").GetString() == "message").GetProperty("header");
        Assert.That(header.GetProperty("Endpoint").GetString(), Is.EqualTo("Echo"));
        Assert.That(header.GetProperty("Accept").GetInt32(), Is.EqualTo(2));

        var echoBody = lines.First(l => l.GetProperty("record").GetString() == "message" && l.TryGetProperty("body_json", out _)
            && l.GetProperty("role").GetString() == "response");
        Assert.That(echoBody.GetProperty("body_json").GetProperty("a").GetInt32(), Is.EqualTo(1));

        var calls = lines.Where(l => l.GetProperty("record").GetString() == "call").ToList();
        Assert.That(calls.Select(c => c.GetProperty("status_name").GetString()), Is.EqualTo(new[] { "OK", "OK", "Error" }));
        Assert.That(calls[1].GetProperty("latency_ms").GetDouble(), Is.EqualTo(5.0));
        Assert.That(calls[1].GetProperty("response_bytes").GetInt64(), Is.GreaterThan(3000));
        Assert.That(calls[2].GetProperty("error_message").GetString(), Is.EqualTo("boom"));
    }

    [Test]
    public void JsonLines_NeverRepeatAKey()
    {
        string output = Harness.RunToString(new DumpOptions { CaptureFile = StandardCapture(), Format = OutputFormat.Json, Hex = true });
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(line));
            var seen = new Stack<HashSet<string>>();
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        seen.Push(new HashSet<string>());
                        break;
                    case JsonTokenType.EndObject:
                        seen.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        Assert.That(seen.Peek().Add(reader.GetString()!), Is.True, $"duplicate key in {line}");
                        break;
                }
            }
        }
    }

    [Test]
    public void Summary_CountsCallsStatusesBytesAndLatency()
    {
        var c = new Conversation().Handshake();
        foreach (double latency in new[] { 3.0, 1.0, 2.0 })
        {
            c.Wait(1).Client(Wire.JsonRequest("Echo", "{}")).Wait(latency).Server(Wire.OkJson("{}"));
        }

        c.Client(Wire.JsonRequest("Nope", "{}")).Wait(1).Server(Wire.Failure(2, "unregistered endpoint Nope")).Close();
        var lines = Harness.RunJson(new DumpOptions { CaptureFile = c.WritePcap(Harness.TempFile("s.pcap")), Summary = true });

        var summary = lines.Single();
        Assert.That(summary.GetProperty("calls").GetInt32(), Is.EqualTo(4));
        var echo = summary.GetProperty("endpoints").GetProperty("Echo");
        Assert.That(echo.GetProperty("statuses").GetProperty("OK").GetInt32(), Is.EqualTo(3));
        Assert.That(echo.GetProperty("latency_ms").GetProperty("min").GetDouble(), Is.EqualTo(1.0));
        Assert.That(echo.GetProperty("latency_ms").GetProperty("median").GetDouble(), Is.EqualTo(2.0));
        Assert.That(echo.GetProperty("latency_ms").GetProperty("max").GetDouble(), Is.EqualTo(3.0));
        Assert.That(summary.GetProperty("endpoints").GetProperty("Nope").GetProperty("statuses").GetProperty("RequestError").GetInt32(), Is.EqualTo(1));
        long requestBytes = 4 * (Wire.JsonRequest("Echo", "{}").Length);
        Assert.That(summary.GetProperty("bytes").GetProperty("c2s").GetInt64(), Is.EqualTo(requestBytes));

        string text = Harness.RunToString(new DumpOptions { CaptureFile = c.WritePcap(Harness.TempFile("s2.pcap")), Summary = true });
        Assert.That(text, Does.Contain("Echo: 3 calls (OK 3); latency ms min 1 median 2 max 3"));
    }

    [Test]
    public void EndpointFilter_KeepsOnlyThatEndpointsRecords()
    {
        var lines = Harness.RunJson(new DumpOptions { CaptureFile = StandardCapture(), Endpoint = "Source" });

        var data = lines.Where(l => l.GetProperty("record").GetString() is "frame" or "message" or "call").ToList();
        Assert.That(data, Is.Not.Empty);
        Assert.That(data.Select(l => l.GetProperty("endpoint").GetString()), Is.All.EqualTo("Source"));
        Assert.That(data.Count(l => l.GetProperty("record").GetString() == "frame"), Is.EqualTo(4), "request header+body, response header+body");
    }

    [Test]
    public void ErrorsOnly_KeepsFailedCallsAndDiagnostics()
    {
        var lines = Harness.RunJson(new DumpOptions { CaptureFile = StandardCapture(), ErrorsOnly = true });

        // Connection, profile and close lines frame what is kept: they pass the filter.
        var kept = lines.Where(l => l.GetProperty("record").GetString() is not ("connection" or "profile" or "close")).ToList();
        Assert.That(kept.Select(l => l.GetProperty("record").GetString()), Is.EqualTo(new[] { "call" }));
        Assert.That(kept[0].GetProperty("endpoint").GetString(), Is.EqualTo("Fail"));
    }

    [Test]
    public void ConnectionFilter_SelectsByNumber()
    {
        var lines = Harness.RunJson(new DumpOptions { CaptureFile = StandardCapture(), Connections = new HashSet<int> { 2 } });
        Assert.That(lines, Is.Empty);
        lines = Harness.RunJson(new DumpOptions { CaptureFile = StandardCapture(), Connections = new HashSet<int> { 1 } });
        Assert.That(lines, Is.Not.Empty);
    }

    [Test]
    public void TextListing_ShowsFramesMessagesCallsAndHexWhenAsked()
    {
        string text = Harness.RunToString(new DumpOptions { CaptureFile = StandardCapture(), Hex = true });

        Assert.That(text, Does.Contain("C>S frame Header  end=1"));
        Assert.That(text, Does.Contain("Endpoint=\"Source\" DataType=2 (MarshaledJSON) Accept=3 (Octets)"));
        Assert.That(text, Does.Contain("Octets: 3000 bytes, first 16: 000102030405060708090a0b0c0d0e0f"));
        Assert.That(text, Does.Contain("call #3 Fail: Error (4) \"boom\", latency 1 ms"));
        Assert.That(text, Does.Contain("header  0000  01 01 48 00 00 00"));
        Assert.That(text, Does.Not.Contain("\u001b["), "no colour unless asked");
        string colored = Harness.RunToString(new DumpOptions { CaptureFile = StandardCapture(), Color = true });
        Assert.That(colored, Does.Contain("\u001b[31m"));
    }
}
