using System.Text;

namespace MLOps.Web.Tests.Unit.Classification;

/// <summary>Just enough protobuf encoding to write ONNX and SentencePiece model files in tests.</summary>
internal sealed class ProtoWriter
{
    private readonly List<byte> _buffer = [];

    public void Varint(int field, long value)
    {
        Raw((ulong)((field << 3) | 0));
        Raw((ulong)value);
    }

    public void Fixed32(int field, float value)
    {
        Raw((ulong)((field << 3) | 5));
        _buffer.AddRange(BitConverter.GetBytes(value));
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, byte[] value)
    {
        Raw((ulong)((field << 3) | 2));
        Raw((ulong)value.Length);
        _buffer.AddRange(value);
    }

    public void Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    public byte[] ToArray() => _buffer.ToArray();

    private void Raw(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }

        _buffer.Add((byte)value);
    }
}
