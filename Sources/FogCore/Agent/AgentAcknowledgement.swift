/// The agent's answer to one command: the controller stops retrying that sequence number.
///
/// Layout: `u64` sequence, `u8` result (1 applied, 2 failed, 3 already applied); a failure
/// adds 2+n reason (UTF-8, 0...1024 bytes).
public struct AgentAcknowledgement: Sendable, Hashable {
    public enum Result: Sendable, Hashable {
        /// Applied now.
        case applied
        /// Consumed but could not be carried out (e.g. the executable does not exist). The
        /// controller must not resend it; it may send a corrected command under a new number.
        case failed(reason: String)
        /// Re-delivery of a number the agent had already applied (its first acknowledgement was
        /// lost); not applied again. The agent does not keep old outcomes, so this says only
        /// that the command was consumed.
        case alreadyApplied
    }

    public static let maximumReasonLength = 1_024

    public var sequence: UInt64
    public var result: Result

    public init(sequence: UInt64, result: Result) {
        self.sequence = sequence
        self.result = result
    }

    func write(to writer: inout ByteWriter) throws(CodecError) {
        writer.writeUInt64(sequence)
        switch result {
        case .applied:
            writer.writeUInt8(1)
        case .failed(let reason):
            writer.writeUInt8(2)
            try WireText.write(reason, field: "failure reason", maximum: Self.maximumReasonLength, to: &writer)
        case .alreadyApplied:
            writer.writeUInt8(3)
        }
    }

    init(from reader: inout ByteReader) throws(CodecError) {
        sequence = try reader.readUInt64()
        let offset = reader.offset
        switch try reader.readUInt8() {
        case 1: result = .applied
        case 2:
            result = .failed(
                reason: try WireText.read(from: &reader, field: "failure reason", maximum: Self.maximumReasonLength))
        case 3: result = .alreadyApplied
        case let other:
            throw CodecError(code: .invalidValue, offset: offset, message: "unknown acknowledgement result \(other)")
        }
    }
}
