import Shared
import Testing

struct FormatError: Error, Equatable { let detail: String }

/// Every read is bounds-checked and names its field; counts and strings are refused above
/// their limits before anything is allocated; a flag is 0 or 1.
@Suite struct ByteReaderTests {
    func reading<T>(_ bytes: [UInt8], _ body: (inout ByteReader) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw) { FormatError(detail: $0) }
            return try body(&reader)
        }
    }

    @Test func fieldsAreReadLittleEndianInOrder() throws {
        let bytes: [UInt8] = [0x01, 0x02, 0x03, 0x04] + Array(withUnsafeBytes(of: 2.5.bitPattern.littleEndian) { $0 }) + [1, 0]
            + Array(withUnsafeBytes(of: Float(0.5).bitPattern.littleEndian) { $0 })
        try reading(bytes) { reader in
            #expect(try reader.read("word") as UInt32 == 0x0403_0201)
            #expect(try reader.readDouble("reward") == 2.5)
            #expect(try reader.readFlag("terminated") && !(try reader.readFlag("truncated")))
            var values: [Float] = [0]
            try values.withUnsafeMutableBufferPointer { try reader.readFloats("observation", into: $0) }
            #expect(values == [0.5] && reader.remaining == 0)
        }
    }

    @Test func shortAbsurdAndMalformedInputsNameTheField() {
        #expect(throws: FormatError(detail: "count needs 4 bytes, 3 are left")) { try reading([1, 2, 3]) { try $0.read("count") as UInt32 } }
        #expect(throws: FormatError(detail: "flag is 7, not 0 or 1")) { try reading([7]) { try $0.readFlag("flag") } }
        #expect(throws: FormatError(detail: "rows is 5, at most 4")) { try reading([5, 0, 0, 0]) { try $0.readCount("rows", limit: 4) } }
        #expect(throws: FormatError(detail: "name claims 4294967295 bytes (at most 16)")) {
            try reading([0xFF, 0xFF, 0xFF, 0xFF]) { try $0.readString("name", maxBytes: 16) }
        }
        #expect(throws: FormatError(detail: "name is not UTF-8")) { try reading([2, 0, 0, 0, 0xC3, 0x28]) { try $0.readString("name", maxBytes: 16) } }
        #expect(throws: FormatError(detail: "rows needs 8 bytes, 2 are left")) { try reading([1, 2]) { try $0.readRaw(8, "rows") } }
    }
}
