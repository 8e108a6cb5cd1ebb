using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sentinel.Json;

namespace Sentinel.Protocol;

/// <summary>A frame that did not parse, with the error code to answer it with.</summary>
public sealed class FrameException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>A parsed envelope: version, type, optional id, and the raw data to deserialize by type.</summary>
public readonly record struct Envelope(int Version, string Type, long? Id, JsonElement Data)
{
    /// <summary>The data as <typeparamref name="T"/>; a shape that does not fit is a <see cref="FrameException"/>.</summary>
    public T Read<T>(JsonTypeInfo<T> info, string errorCode) where T : class
    {
        try
        {
            return Data.ValueKind == JsonValueKind.Object
                ? Data.Deserialize(info) ?? throw new FrameException(errorCode, $"'{Type}' data is null")
                : throw new FrameException(errorCode, $"'{Type}' data must be an object");
        }
        catch (JsonException e)
        {
            throw new FrameException(errorCode, $"'{Type}' data does not fit: {Trim(e.Message)}");
        }
        catch (InvalidOperationException e)
        {
            // A string that is not valid UTF-16 once unescaped ("\ud800"): the reader throws this, not a JsonException.
            throw new FrameException(errorCode, $"'{Type}' data does not fit: {Trim(e.Message)}");
        }
    }

    private static string Trim(string s) => s.Length > 200 ? s[..200] + "…" : s;
}

/// <summary>Writing and reading the envelope <c>{"v":1,"type":…,"id":…,"data":{…}}</c>.</summary>
public static class Frames
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Serialises one frame as UTF-8 JSON.</summary>
    public static byte[] Write<T>(string type, T data, JsonTypeInfo<T> info, long? id = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("v", ProtocolLimits.Version);
            w.WriteString("type", type);
            if (id is { } i)
            {
                w.WriteNumber("id", i);
            }
            w.WritePropertyName("data");
            JsonSerializer.Serialize(w, data, info);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Error(string code, string message)
        => Write(MessageTypes.Error, new ErrorMessage { Code = code, Message = message }, SentinelJsonContext.Default.ErrorMessage);

    /// <summary>Parses the envelope of one text frame. Throws <see cref="FrameException"/> naming what was wrong.</summary>
    public static Envelope Read(ReadOnlySpan<byte> utf8)
    {
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            doc = JsonDocument.ParseValue(ref reader);
            bool more;
            try { more = reader.Read(); } catch (JsonException) { more = true; }
            if (more)
            {
                // ParseValue stops after the first value: a second one, or garbage, must not ride along unread.
                doc.Dispose();
                throw new FrameException(ErrorCodes.BadJson, "not valid JSON: more after the object");
            }
        }
        catch (JsonException e)
        {
            throw new FrameException(ErrorCodes.BadJson, "not valid JSON: " + (e.Message.Length > 200 ? e.Message[..200] : e.Message));
        }
        using (doc)
        {
            try
            {
                return ReadEnvelope(doc.RootElement);
            }
            catch (InvalidOperationException)
            {
                // A key or string that is not valid UTF-16 once unescaped ("\ud800"): the reader throws this, not a JsonException.
                throw new FrameException(ErrorCodes.BadEnvelope, "a key or string in the envelope is not valid text (a lone surrogate escape)");
            }
        }
    }

    private static Envelope ReadEnvelope(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FrameException(ErrorCodes.BadEnvelope, "a frame must be a JSON object with v, type and data");
        }
        int version = 0;
        string? type = null;
        long? id = null;
        JsonElement data = default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
        {
            if (!seen.Add(p.Name))
            {
                throw new FrameException(ErrorCodes.BadEnvelope, $"duplicate key '{p.Name}' in the envelope");
            }
            switch (p.Name)
            {
                case "v":
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out version))
                        throw new FrameException(ErrorCodes.BadEnvelope, "'v' must be an integer");
                    break;
                case "type":
                    if (p.Value.ValueKind != JsonValueKind.String)
                        throw new FrameException(ErrorCodes.BadEnvelope, "'type' must be a string");
                    type = p.Value.GetString();
                    break;
                case "id":
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt64(out var i))
                        throw new FrameException(ErrorCodes.BadEnvelope, "'id' must be an integer");
                    id = i;
                    break;
                case "data":
                    data = p.Value.Clone();
                    break;
            }
        }
        if (!seen.Contains("v"))
        {
            throw new FrameException(ErrorCodes.BadEnvelope, "missing 'v' (protocol version)");
        }
        if (version != ProtocolLimits.Version)
        {
            throw new FrameException(ErrorCodes.UnsupportedVersion, $"protocol version {version} is not supported; this master speaks {ProtocolLimits.Version}");
        }
        if (string.IsNullOrEmpty(type))
        {
            throw new FrameException(ErrorCodes.BadEnvelope, "missing 'type'");
        }
        return new Envelope(version, type, id, data);
    }
}
