/// The body of an `agentCommand` envelope: a command and its place in the agent's sequence.
///
/// The controller numbers each agent's commands 1, 2, 3, … and sends them in order, retrying
/// (with a fresh envelope) until each is acknowledged. The agent applies a command only if its
/// number is exactly one more than the last it applied, which together with the envelope's
/// replay window means each command is applied at most once and none is skipped.
///
/// Layout: `u64` sequence (≥ 1), then the `AgentCommand`; at most `maximumSize` bytes.
public struct SequencedAgentCommand: Sendable, Hashable {
    /// Largest body: a maximal configuration (256 KiB) plus generous room for the rest,
    /// below the envelope verifier's 1 MiB default.
    public static let maximumSize = 768 * 1_024

    public var sequence: UInt64
    public var command: AgentCommand

    public init(sequence: UInt64, command: AgentCommand) {
        self.sequence = sequence
        self.command = command
    }

    /// - Throws: `CodecError` when the sequence is 0, a field breaks its limit, or the whole
    ///   body exceeds `maximumSize`.
    public func encoded() throws(CodecError) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        guard sequence > 0 else {
            throw CodecError(code: .invalidValue, offset: 0, message: "sequence numbers start at 1")
        }
        writer.writeUInt64(sequence)
        try command.write(to: &writer)
        guard writer.count <= Self.maximumSize else {
            throw CodecError(
                code: .lengthTooLarge, offset: 0,
                message: "command body is \(writer.count) bytes; at most \(Self.maximumSize) allowed")
        }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(CodecError) {
        guard bytes.count <= Self.maximumSize else {
            throw CodecError(
                code: .lengthTooLarge, offset: 0,
                message: "command body is \(bytes.count) bytes; at most \(Self.maximumSize) allowed")
        }
        var reader = ByteReader(bytes)
        sequence = try reader.readUInt64()
        guard sequence > 0 else {
            throw CodecError(code: .invalidValue, offset: 0, message: "sequence number 0 is never sent")
        }
        command = try AgentCommand(from: &reader)
        try reader.expectEnd()
    }
}
