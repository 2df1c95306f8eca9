namespace Zrpc.Conformance.Driver;

/// <summary>
/// Cucumber/Reqnroll tag expressions: <c>@a and not (@b or @c)</c>. A bare list of tags
/// (<c>@RPC-7 @RPC-8</c> or <c>@RPC-7,@RPC-8</c>) means any of them. Tags match without regard
/// to case, and the leading '@' is optional.
/// </summary>
public sealed class TagExpression
{
    private readonly Func<ISet<string>, bool> _evaluate;

    private TagExpression(string text, Func<ISet<string>, bool> evaluate)
    {
        Text = text;
        _evaluate = evaluate;
    }

    public string Text { get; }

    public bool Matches(IEnumerable<string> tags)
        => _evaluate(new HashSet<string>(tags.Select(Normalize), StringComparer.OrdinalIgnoreCase));

    /// <summary>Throws <see cref="FormatException"/> with the position of the problem.</summary>
    public static TagExpression Parse(string text)
    {
        var tokens = Tokenize(text);
        if (tokens.Count == 0)
        {
            throw new FormatException("empty tag expression");
        }

        var position = 0;
        var expression = ParseOr(tokens, ref position);
        if (position != tokens.Count)
        {
            throw new FormatException($"unexpected '{tokens[position]}' in tag expression '{text}'");
        }

        return new TagExpression(text, expression);
    }

    private static string Normalize(string tag) => tag.StartsWith('@') ? tag : "@" + tag;

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new System.Text.StringBuilder();
        void Flush()
        {
            if (current.Length > 0)
            {
                tokens.Add(current.ToString());
                current.Clear();
            }
        }

        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || c == ',')
            {
                Flush();
                if (c == ',') tokens.Add("or");
            }
            else if (c is '(' or ')')
            {
                Flush();
                tokens.Add(c.ToString());
            }
            else
            {
                current.Append(c);
            }
        }

        Flush();

        // Adjacent operands without an operator ("@a @b") are a list: any of them.
        var result = new List<string>();
        foreach (var token in tokens)
        {
            if (result.Count > 0 && IsOperandEnd(result[^1]) && IsOperandStart(token))
            {
                result.Add("or");
            }

            result.Add(token);
        }

        return result;
    }

    private static bool IsOperator(string t) => t is "and" or "or" or "not";

    private static bool IsOperandEnd(string t) => t == ")" || (!IsOperator(t) && t != "(");

    private static bool IsOperandStart(string t) => t is "(" or "not" || (!IsOperator(t) && t != ")");

    private static Func<ISet<string>, bool> ParseOr(List<string> tokens, ref int position)
    {
        var left = ParseAnd(tokens, ref position);
        while (position < tokens.Count && tokens[position] == "or")
        {
            position++;
            var right = ParseAnd(tokens, ref position);
            var l = left;
            left = tags => l(tags) || right(tags);
        }

        return left;
    }

    private static Func<ISet<string>, bool> ParseAnd(List<string> tokens, ref int position)
    {
        var left = ParseNot(tokens, ref position);
        while (position < tokens.Count && tokens[position] == "and")
        {
            position++;
            var right = ParseNot(tokens, ref position);
            var l = left;
            left = tags => l(tags) && right(tags);
        }

        return left;
    }

    private static Func<ISet<string>, bool> ParseNot(List<string> tokens, ref int position)
    {
        if (position >= tokens.Count)
        {
            throw new FormatException("tag expression ends where a tag was expected");
        }

        var token = tokens[position++];
        switch (token)
        {
            case "not":
                var inner = ParseNot(tokens, ref position);
                return tags => !inner(tags);
            case "(":
                var group = ParseOr(tokens, ref position);
                if (position >= tokens.Count || tokens[position] != ")")
                {
                    throw new FormatException("missing ')' in tag expression");
                }

                position++;
                return group;
            case ")" or "and" or "or":
                throw new FormatException($"unexpected '{token}' in tag expression");
            default:
                var tag = Normalize(token);
                return tags => tags.Contains(tag);
        }
    }
}
