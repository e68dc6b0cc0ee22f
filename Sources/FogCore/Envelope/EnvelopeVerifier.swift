/// Verifies and opens envelopes for one receiver.
///
/// Checks, in order: size limit, strict decoding, known sender, signature, kind (if
/// restricted), recipient, timestamp within ±`clockSkew`, nonce not seen, unseal. The nonce is
/// recorded only after every check (including unsealing) passed, so a rejected envelope never
/// consumes its nonce. A value type without locks, for one thread or one actor; use
/// `SharedEnvelopeVerifier` when several threads open envelopes.
public struct EnvelopeVerifier: Sendable {
    var policy: EnvelopePolicy
    /// The remembered nonces (read-only; exposed for metrics).
    public private(set) var replayWindow: ReplayWindow

    /// - Parameters:
    ///   - trustedSenders: pinned signing keys; envelopes from anyone else are `.unknownSender`.
    ///   - localID: this receiver's id; envelopes addressed to another id are `.wrongRecipient`.
    ///   - agreementKey: opens envelopes sealed to this receiver; nil refuses sealed envelopes.
    ///   - maximumSize: inputs above this many bytes are refused before decoding.
    ///   - clockSkew: largest accepted difference between an envelope's timestamp and `now`,
    ///     either way; also how long nonces are remembered.
    ///   - replayCapacity: most nonces remembered at once (see `ReplayWindow`).
    ///   - requiresRecipient: refuse envelopes that name no recipient.
    ///   - acceptedKinds: when set, refuse other kinds with `.unexpectedKind` (before the
    ///     nonce is consumed).
    public init(
        trustedSenders: [OpaqueID: SigningPublicKey], localID: OpaqueID?, agreementKey: AgreementKey?,
        maximumSize: Int = Envelope.defaultMaximumSize, clockSkew: Duration = .seconds(120),
        replayCapacity: Int = 100_000, requiresRecipient: Bool = false,
        acceptedKinds: Set<EnvelopeKind>? = nil
    ) {
        policy = EnvelopePolicy(
            trustedSenders: trustedSenders, localID: localID, agreementKey: agreementKey,
            requiresRecipient: requiresRecipient, acceptedKinds: acceptedKinds,
            maximumSize: maximumSize, clockSkew: clockSkew)
        replayWindow = ReplayWindow(capacity: replayCapacity, lifetime: clockSkew)
    }

    public var trustedSenders: [OpaqueID: SigningPublicKey] {
        get { policy.trustedSenders }
        set { policy.trustedSenders = newValue }
    }

    public var localID: OpaqueID? {
        get { policy.localID }
        set { policy.localID = newValue }
    }

    public var agreementKey: AgreementKey? {
        get { policy.agreementKey }
        set { policy.agreementKey = newValue }
    }

    public var requiresRecipient: Bool {
        get { policy.requiresRecipient }
        set { policy.requiresRecipient = newValue }
    }

    public var acceptedKinds: Set<EnvelopeKind>? {
        get { policy.acceptedKinds }
        set { policy.acceptedKinds = newValue }
    }

    public var maximumSize: Int {
        get { policy.maximumSize }
        set { policy.maximumSize = newValue }
    }

    /// Fixed at creation: the replay window's lifetime depends on it.
    public var clockSkew: Duration { policy.clockSkew }

    /// Verifies `bytes` and returns the opened envelope, recording its nonce.
    public mutating func open(_ bytes: [UInt8], now: Timestamp = .now()) throws(EnvelopeError) -> OpenedEnvelope {
        let envelope = try policy.authenticate(bytes, now: now)
        try check(envelope, now: now)
        let opened = try policy.unseal(envelope)
        try record(envelope, now: now)
        return opened
    }

    /// Throws if the authenticated envelope's nonce cannot be recorded (replayed, beyond the
    /// window's horizon, window full); records nothing.
    mutating func check(_ envelope: Envelope, now: Timestamp) throws(EnvelopeError) {
        try replayWindow.check(
            sender: envelope.sender, nonce: envelope.nonce, timestamp: envelope.timestamp, now: now)
    }

    /// Records the authenticated envelope's nonce, re-checking it first.
    mutating func record(_ envelope: Envelope, now: Timestamp) throws(EnvelopeError) {
        try replayWindow.record(
            sender: envelope.sender, nonce: envelope.nonce, timestamp: envelope.timestamp, now: now)
    }
}
