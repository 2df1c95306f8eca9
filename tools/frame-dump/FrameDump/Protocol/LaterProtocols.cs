using System.Text;

namespace FrameDump.Protocol;

/// <summary>
/// Recognises, by their first bytes, the protocols that replaced this one in later zrepl versions,
/// so that a connection carrying one is labelled instead of decoded as garbage. Facts from:
/// <list type="bullet">
/// <item>go-netssh (github.com/problame/go-netssh, dial.go and serve.go, from the initial commit
/// ffa145d to 330ad6c): the stdinserver side writes "SSHCON_HELO", the dialing side answers
/// "SSHCON_BEGIN", each NUL-padded to 31 bytes; a failing proxy writes "SSHCON_PROXY_ERROR".
/// zrepl's ssh+stdinserver transport uses it from 0.0.3 on, where this protocol (profile fa4d209)
/// follows the exchange on the same stream.</item>
/// <item>go-streamrpc (github.com/problame/go-streamrpc, internal/pdu/main.go, from 3be3c00 to
/// d5d111e): both peers first write a 16-byte magic, 15 constant bytes and a version byte (1).
/// zrepl 0.1.0-rc1 to rc3 speak it.</item>
/// <item>zrepl's version handshake (github.com/zrepl/zrepl, daemon/transport/handshake.go from
/// 1fb59c9, later internal/rpc/versionhandshake/versionhandshake.go): both peers first write
/// "%010d ZREPL_ZFS_REPLICATION PROTOVERSION=%04d EXTENSIONS=%04d\n" and the extension lines,
/// the leading number counting the bytes after its space. From zrepl 0.1.0-rc1 on, PROTOVERSION
/// 1 (0.1, 0.2), 5 (0.3, 0.4), 6 (0.5), 7 (0.6 and later).</item>
/// </list>
/// </summary>
public static class LaterProtocols
{
    /// <summary>go-netssh's banner messages are this long, NUL-padded.</summary>
    public const int NetsshMessageLength = 31;

    private static readonly byte[] StreamRpcMagic = [0x18, 0xce, 0x72, 0x48, 0x4e, 0x61, 0x61, 0x1d, 0x71, 0xeb, 0x03, 0xa8, 0x3c, 0xe2, 0x6f];

    private static readonly (string Text, string Meaning)[] NetsshMessages =
    [
        ("SSHCON_HELO", "stdinserver banner"),
        ("SSHCON_BEGIN", "dialer's begin"),
        ("SSHCON_PROXY_ERROR", "stdinserver proxy error"),
    ];

    private const string BannerText = " ZREPL_ZFS_REPLICATION PROTOVERSION=";

    /// <summary>Bytes after the 10-digit length: the text above and the 4-digit version.</summary>
    private const int BannerPrefixLength = 10 + 36 + 4;

    public enum Verdict
    {
        /// <summary>The bytes so far could still open one of them.</summary>
        NeedMore,

        /// <summary>None of them.</summary>
        None,

        /// <summary>A go-netssh banner message: strip it, this protocol or another may follow.</summary>
        NetsshMessage,

        /// <summary>Another protocol: label the connection.</summary>
        Other,
    }

    /// <summary>What <see cref="Classify"/> found.</summary>
    public readonly record struct Match(Verdict Verdict, string Protocol = "", string Label = "", int Length = 0);

    /// <summary>
    /// Classifies the first bytes of a direction (or those after a go-netssh message);
    /// <paramref name="ended"/> says no more will come.
    /// </summary>
    public static Match Classify(ReadOnlySpan<byte> start, bool ended)
    {
        var match = Check(start);
        return match.Verdict == Verdict.NeedMore && ended ? new Match(Verdict.None) : match;
    }

    private static Match Check(ReadOnlySpan<byte> start)
    {
        if (start.IsEmpty)
        {
            return new Match(Verdict.NeedMore);
        }

        bool possible = false;
        foreach (var (text, meaning) in NetsshMessages)
        {
            var m = NetsshCheck(start, text, meaning);
            if (m.Verdict == Verdict.NetsshMessage)
            {
                return m;
            }

            possible |= m.Verdict == Verdict.NeedMore;
        }

        if (PrefixOf(start, StreamRpcMagic))
        {
            if (start.Length <= StreamRpcMagic.Length)
            {
                return new Match(Verdict.NeedMore);
            }

            return new Match(Verdict.Other, "go-streamrpc",
                $"go-streamrpc, magic version {start[StreamRpcMagic.Length]} (zrepl 0.1.0-rc1 to 0.1.0-rc3)", StreamRpcMagic.Length + 1);
        }

        var banner = BannerCheck(start);
        if (banner.Verdict != Verdict.None)
        {
            return banner;
        }

        return new Match(possible ? Verdict.NeedMore : Verdict.None);
    }

    private static Match NetsshCheck(ReadOnlySpan<byte> start, string text, string meaning)
    {
        for (int i = 0; i < Math.Min(start.Length, NetsshMessageLength); i++)
        {
            byte expected = i < text.Length ? (byte)text[i] : (byte)0;
            if (start[i] != expected)
            {
                return new Match(Verdict.None);
            }
        }

        return start.Length < NetsshMessageLength
            ? new Match(Verdict.NeedMore)
            : new Match(Verdict.NetsshMessage, "go-netssh", $"go-netssh {meaning} {text}", NetsshMessageLength);
    }

    /// <summary>"0000000051 ZREPL_ZFS_REPLICATION PROTOVERSION=0001 ...": ten digits, the text, four digits.</summary>
    private static Match BannerCheck(ReadOnlySpan<byte> start)
    {
        for (int i = 0; i < Math.Min(start.Length, BannerPrefixLength); i++)
        {
            bool fits = i < 10 || i >= 10 + BannerText.Length ? start[i] is >= (byte)'0' and <= (byte)'9' : start[i] == (byte)BannerText[i - 10];
            if (!fits)
            {
                return new Match(Verdict.None);
            }
        }

        if (start.Length < BannerPrefixLength)
        {
            return new Match(Verdict.NeedMore);
        }

        string version = Encoding.ASCII.GetString(start.Slice(10 + BannerText.Length, 4));
        long length = long.Parse(Encoding.ASCII.GetString(start[..10]), System.Globalization.CultureInfo.InvariantCulture);
        string releases = int.Parse(version, System.Globalization.CultureInfo.InvariantCulture) switch
        {
            1 => "zrepl 0.1 to 0.2",
            5 => "zrepl 0.3 to 0.4",
            6 => "zrepl 0.5",
            7 => "zrepl 0.6 and later",
            _ => "a zrepl version from 0.1 on",
        };
        return new Match(Verdict.Other, "zrepl-version-handshake",
            $"zrepl version handshake ZREPL_ZFS_REPLICATION PROTOVERSION={version} ({releases})", (int)Math.Min(int.MaxValue, 11 + length));
    }

    private static bool PrefixOf(ReadOnlySpan<byte> start, ReadOnlySpan<byte> constant) =>
        constant[..Math.Min(start.Length, constant.Length)].SequenceEqual(start[..Math.Min(start.Length, constant.Length)]);

    /// <summary>go-streamrpc's magic right at <paramref name="bytes"/>, with its version byte, if it is there.</summary>
    public static int? StreamRpcVersionAt(ReadOnlySpan<byte> bytes) =>
        bytes.Length > StreamRpcMagic.Length && bytes[..StreamRpcMagic.Length].SequenceEqual(StreamRpcMagic) ? bytes[StreamRpcMagic.Length] : null;

    /// <summary>True when <paramref name="start"/> opens with go-netssh's stdinserver banner, which the server sends first.</summary>
    public static bool IsNetsshServerBanner(ReadOnlySpan<byte> start) =>
        start.Length >= NetsshMessageLength && NetsshCheck(start, "SSHCON_HELO", "").Verdict == Verdict.NetsshMessage;
}
