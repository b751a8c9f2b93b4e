import Foundation
import Reporting
import Testing

@Suite struct TensorBoardEventFileTests {
    /// The standard CRC-32C check value, and the masking TFRecord applies.
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        let crc = CRC32C.checksum(Array("123456789".utf8))
        #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    /// An `Event` with a scalar, byte for byte (fields by the proto's numbers and wire types).
    @Test func aScalarEventEncodesByTheSpecification() {
        let event = TensorBoardEventFile.event(wallTime: 1.5, step: 3, summary: TensorBoardEventFile.summary([("a", 2)]))
        let expected: [UInt8] = [
            0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,   // wall_time = 1.5 (field 1, 64-bit)
            0x10, 0x03,                           // step = 3 (field 2, varint)
            0x2A, 0x0A,                           // summary (field 5), 10 bytes
            0x0A, 0x08,                           //   value (field 1), 8 bytes
            0x0A, 0x01, 0x61,                     //     tag = "a"
            0x15, 0, 0, 0, 0x40,                  //     simple_value = 2.0 (field 2, 32-bit)
        ]
        #expect(event == expected)
        let header = TensorBoardEventFile.event(wallTime: 0, step: 0, fileVersion: "brain.Event:2")
        #expect(Array(header.suffix(15)) == [0x1A, 0x0D] + Array("brain.Event:2".utf8))
        // A SessionLog START (field 7; 6 is the deprecated log_message).
        #expect(Array(TensorBoardEventFile.event(wallTime: 0, step: 0, sessionLog: [0x08, 0x01]).suffix(4)) == [0x3A, 0x02, 0x08, 0x01])
        // A step past one varint byte.
        #expect(Array(TensorBoardEventFile.event(wallTime: 0, step: 300)[9..<12]) == [0x10, 0xAC, 0x02])
    }

    /// TFRecord framing: length (8 bytes LE), its masked CRC, the data, the data's masked CRC.
    @Test func recordsAreFramedWithMaskedChecksums() {
        let data: [UInt8] = [1, 2, 3]
        let record = TensorBoardEventFile.record(data)
        #expect(record.count == 8 + 4 + 3 + 4)
        #expect(Array(record[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
        func word(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(record[at + $1]) << (8 * $1) } }
        #expect(word(8) == CRC32C.masked(Array(record[0..<8])))
        #expect(Array(record[12..<15]) == data)
        #expect(word(15) == CRC32C.masked(data))
    }
}
