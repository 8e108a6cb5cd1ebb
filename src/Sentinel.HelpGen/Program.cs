using Sentinel.HelpGen;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Sentinel.HelpGen <folder of cmdlet .md files> <output MAML .xml>");
    return 2;
}
try
{
    var pages = Directory.GetFiles(args[0], "*.md").Order(StringComparer.Ordinal).Select(CommandHelp.Parse).ToList();
    if (pages.Count == 0)
    {
        Console.Error.WriteLine($"error: no cmdlet help pages (*.md) in {args[0]}");
        return 1;
    }
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
    Maml.Write(pages).Save(args[1]);
    Console.WriteLine($"help: {pages.Count} cmdlet pages -> {args[1]}");
    return 0;
}
catch (HelpFormatException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
