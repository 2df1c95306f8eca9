using NUnit.Framework;
using Zrpc.Frames;

namespace Zrpc.Tests.Frames;

/// <summary>Which bound a read gets depends on where the connection is, and its expiry is reported as that bound.</summary>
public class ReadTimeoutsTests
{
    [Test]
    public void BetweenMessages_TheIdleTimeoutBounds_InsideAFrameTheReadTimeout()
    {
        var timeouts = new ReadTimeouts { ReadTimeout = TimeSpan.FromSeconds(3), IdleTimeout = TimeSpan.FromSeconds(7) };
        Assert.That(timeouts.LimitFor(betweenFrames: true, out var bound), Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That(bound, Is.EqualTo(ReadBound.Idle));
        Assert.That(timeouts.LimitFor(betweenFrames: false, out bound), Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(bound, Is.EqualTo(ReadBound.ReadTimeout));

        // Inside a message the wait for the next frame is not idle time.
        timeouts.IdleAllowed = false;
        Assert.That(timeouts.LimitFor(betweenFrames: true, out bound), Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(bound, Is.EqualTo(ReadBound.ReadTimeout));
    }

    [Test]
    public void AMessageDeadline_ShorterThanTheReadTimeout_BoundsTheRead_AndExpiresAsCONN5()
    {
        var timeouts = new ReadTimeouts { ReadTimeout = TimeSpan.FromSeconds(30), IdleAllowed = false };
        timeouts.FrameStarted();
        timeouts.StartDeadline(TimeSpan.FromSeconds(2));
        var limit = timeouts.LimitFor(betweenFrames: false, out var bound);
        Assert.That((bound, limit <= TimeSpan.FromSeconds(2)), Is.EqualTo((ReadBound.MessageDeadline, true)));
        var expired = timeouts.Expired(bound, limit);
        Assert.That(expired, Is.TypeOf<ProtocolException>());
        Assert.That(expired.Message, Is.EqualTo("the message was not complete 2 s after its first byte (CONN-5)"));

        timeouts.ClearDeadline();
        Assert.That(timeouts.LimitFor(betweenFrames: false, out bound), Is.EqualTo(TimeSpan.FromSeconds(30)));
    }

    [Test]
    public void ARateFloor_BoundsReadsInsideABody_UntilStopped()
    {
        var timeouts = new ReadTimeouts { IdleAllowed = false };
        timeouts.StartRateFloor(1000, TimeSpan.FromSeconds(5));
        var limit = timeouts.LimitFor(betweenFrames: false, out var bound);
        Assert.That((bound, limit > TimeSpan.Zero && limit <= TimeSpan.FromSeconds(5)), Is.EqualTo((ReadBound.RateFloor, true)));
        // 10 000 bytes at 1000 bytes/s earn ten more seconds.
        timeouts.PayloadRead(10_000);
        Assert.That(timeouts.LimitFor(betweenFrames: false, out _), Is.GreaterThan(TimeSpan.FromSeconds(10)));
        timeouts.StopRateFloor();
        Assert.That(timeouts.LimitFor(betweenFrames: false, out _), Is.EqualTo(Timeout.InfiniteTimeSpan));
    }

    [Test]
    public void AnExpiredIdleWait_IsAnIdleTimeout_NotAProtocolError()
    {
        var expired = new ReadTimeouts().Expired(ReadBound.Idle, TimeSpan.FromSeconds(4));
        Assert.That(expired, Is.TypeOf<IdleTimeoutException>());
    }
}
