using NUnit.Framework;
using Zrpc.Spec;

namespace Zrpc.Tests;

public class ProtocolExceptionTests
{
    [Test]
    public void The_id_is_appended_once_and_the_detail_is_kept_without_it()
    {
        var error = new ProtocolException(RequirementId.Frame6, "frame length 5000000 exceeds the limit");

        Assert.That(error.Message, Is.EqualTo("frame length 5000000 exceeds the limit (FRAME-6)"));
        Assert.That(error.Detail, Is.EqualTo("frame length 5000000 exceeds the limit"));
        Assert.That(error.Requirement, Is.EqualTo(RequirementId.Frame6));
        Assert.That(new ConnectionResetException().Detail, Does.Not.Contain("CONN-2"));
    }
}
