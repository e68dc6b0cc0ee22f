/// What an agent sends the controller on its reply topic, in an `agentReply` envelope signed
/// by the agent and addressed to the controller.
///
/// Replies are not sealed: they carry acknowledgements, states, counters and a hash, nothing
/// a ComSat could use. (`AgentReplySealer` can seal when a future reply needs it.)
///
/// Layout: `u8` tag (1 acknowledgement, 2 status, 3 link secret report), then the payload;
/// at most `maximumSize` bytes.
public enum AgentReply: Sendable, Hashable {
    case acknowledgement(AgentAcknowledgement)
    case status(AgentStatus)
    case linkSecret(LinkSecretReport)

    /// A full status of 1,024 microservices and 1,024 link halves fits with room to spare.
    public static let maximumSize = 128 * 1_024

    public func encoded() throws(CodecError) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        switch self {
        case .acknowledgement(let acknowledgement):
            writer.writeUInt8(1)
            try acknowledgement.write(to: &writer)
        case .status(let status):
            writer.writeUInt8(2)
            try status.write(to: &writer)
        case .linkSecret(let report):
            writer.writeUInt8(3)
            report.write(to: &writer)
        }
        guard writer.count <= Self.maximumSize else {
            throw CodecError(
                code: .lengthTooLarge, offset: 0,
                message: "reply is \(writer.count) bytes; at most \(Self.maximumSize) allowed")
        }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(CodecError) {
        guard bytes.count <= Self.maximumSize else {
            throw CodecError(
                code: .lengthTooLarge, offset: 0,
                message: "reply is \(bytes.count) bytes; at most \(Self.maximumSize) allowed")
        }
        var reader = ByteReader(bytes)
        switch try reader.readUInt8() {
        case 1: self = .acknowledgement(try AgentAcknowledgement(from: &reader))
        case 2: self = .status(try AgentStatus(from: &reader))
        case 3: self = .linkSecret(try LinkSecretReport(from: &reader))
        case let tag:
            throw CodecError(code: .invalidValue, offset: 0, message: "unknown agent reply tag \(tag)")
        }
        try reader.expectEnd()
    }
}
