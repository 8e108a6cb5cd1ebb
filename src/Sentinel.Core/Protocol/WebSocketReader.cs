using System.Net.WebSockets;

namespace Sentinel.Protocol;

/// <summary>What one receive produced.</summary>
public enum FrameKind
{
    Text,
    Binary,
    Close,
    TooLarge,
}

/// <summary>
/// Reads whole WebSocket messages into one reusable buffer, refusing any message over a size limit
/// before it is buffered, so a peer cannot make the reader allocate without bound.
/// </summary>
public sealed class WebSocketReader(WebSocket socket, int limit)
{
    private byte[] _buffer = new byte[Math.Min(limit, 16 * 1024)];

    /// <summary>The last message's bytes; valid until the next receive.</summary>
    public ReadOnlyMemory<byte> Message { get; private set; }

    public async Task<FrameKind> ReceiveAsync(CancellationToken cancellationToken)
    {
        int length = 0;
        while (true)
        {
            if (length == _buffer.Length)
            {
                if (_buffer.Length >= limit)
                {
                    return FrameKind.TooLarge;
                }
                Array.Resize(ref _buffer, Math.Min(limit, _buffer.Length * 2));
            }
            var result = await socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return FrameKind.Close;
            }
            length += result.Count;
            if (length > limit)
            {
                return FrameKind.TooLarge;
            }
            if (result.EndOfMessage)
            {
                Message = _buffer.AsMemory(0, length);
                return result.MessageType == WebSocketMessageType.Binary ? FrameKind.Binary : FrameKind.Text;
            }
        }
    }
}
