using NUnit.Framework;

namespace Zrpc.Bench.Tests;

[TestFixture]
public class StreamRatiosTests
{
    [Test]
    public void Each_protocol_run_is_compared_with_the_raw_copies_around_it()
    {
        // The machine slows down by half between the first and the last raw copy; the protocol runs
        // keep pace with it. Against the median raw copy the early run would look 1.33x and the late
        // one 0.67x; against its neighbours each is exactly as fast as raw.
        double[] raw = [4, 4, 2, 2];
        double[] protocol = [4, 2 * Math.Sqrt(2), 2];

        Assert.That(StreamRatios.BracketedMedian(protocol, raw), Is.EqualTo(1.0).Within(1e-12));
    }

    [Test]
    public void The_reported_ratio_is_the_median_of_the_bracketed_ones()
    {
        double[] raw = [2, 2, 2, 2];
        double[] protocol = [1.0, 1.8, 2.2];

        Assert.That(StreamRatios.BracketedMedian(protocol, raw), Is.EqualTo(0.9).Within(1e-12));
    }

    [Test]
    public void The_middle_half_runs_from_the_first_to_the_third_quartile_of_the_runs()
    {
        // Nine runs in any order: the quartiles are the 3rd and 7th smallest.
        double[] ratios = [0.95, 0.70, 1.10, 0.85, 0.90, 0.80, 1.00, 0.75, 1.05];

        Assert.That(StreamRatios.MiddleHalf(ratios), Is.EqualTo((0.80, 1.00)).Using<(double, double)>((a, b) =>
            Math.Abs(a.Item1 - b.Item1) < 1e-12 && Math.Abs(a.Item2 - b.Item2) < 1e-12));
        // Between ranks the quartile is interpolated: four runs, first quartile three quarters of the way from 1 to 2.
        Assert.That(StreamRatios.MiddleHalf([4.0, 1.0, 3.0, 2.0]).Low, Is.EqualTo(1.75).Within(1e-12));
        Assert.That(StreamRatios.MiddleHalf([]).High, Is.NaN);
    }

    [Test]
    public void Each_run_keeps_its_own_bracketed_ratio()
    {
        double[] raw = [2, 4, 4];
        double[] protocol = [2 * Math.Sqrt(2), 2];

        Assert.That(StreamRatios.Bracketed(protocol, raw), Is.EqualTo(new[] { 1.0, 0.5 }).Within(1e-12));
    }

    [Test]
    public void The_raw_copies_must_bracket_every_protocol_run()
    {
        var error = Assert.Throws<ArgumentException>(() => StreamRatios.BracketedMedian([1, 1], [1, 1]));

        Assert.That(error!.Message, Does.Contain("3 raw copies"));
    }

    [Test]
    public void Run_to_run_spread_is_the_median_relative_step_between_consecutive_runs()
    {
        // Steps: +10 %, -50 %, +20 % → median 20 %.
        Assert.That(StreamRatios.RunToRunSpread([1.0, 1.1, 0.55, 0.66]), Is.EqualTo(0.2).Within(1e-9));
        Assert.That(StreamRatios.RunToRunSpread([3.0]), Is.NaN);
    }

    [Test]
    public async Task The_warm_up_makes_at_least_one_round_and_stops_at_its_limit()
    {
        int calls = 0;
        var (rounds, quiet) = await JitWarmUp.UntilQuietAsync(() => { calls++; return Task.CompletedTask; }, TimeSpan.Zero);

        Assert.That((rounds, calls), Is.EqualTo((1, 1)));
        Assert.That(quiet, Is.False, "one instant round cannot show a quiet second");
    }
}
