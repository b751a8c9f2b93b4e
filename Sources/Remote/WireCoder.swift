#if Remote
import GRPCCore

/// gRPC's serializer and deserializer for a `WireMessage`.
struct WireCoder<Message: WireMessage>: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        Bytes(message.encoded())
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        try serializedMessageBytes.withUnsafeBytes { try Message(decoding: $0) }
    }
}
#endif
