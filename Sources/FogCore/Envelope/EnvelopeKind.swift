/// What an envelope's body is (a ComSat command, a reply, an agent command, …).
///
/// The kind sits in the signed header, so a receiver that checks it (see
/// `EnvelopeVerifier.acceptedKinds`) cannot be handed a signed reply posing as a command.
/// Protocols built on envelopes define their kinds as static members in an extension.
public struct EnvelopeKind: RawRepresentable, Hashable, Sendable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public init(integerLiteral value: UInt8) {
        rawValue = value
    }

    public var description: String { "kind \(rawValue)" }
}
