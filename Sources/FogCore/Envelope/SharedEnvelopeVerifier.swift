internal import Synchronization

/// An `EnvelopeVerifier` that many threads or tasks can use at once.
///
/// The lock guards only the policy snapshot and the replay window: signature verification and
/// unsealing run outside it, so concurrent opens do not serialise on crypto. Two copies of the
/// same envelope opened concurrently may both be checked and decrypted, but recording the
/// nonce happens under the lock and re-checks it, so exactly one of them is accepted.
public final class SharedEnvelopeVerifier: Sendable {
    private let state: Mutex<EnvelopeVerifier>

    public init(_ verifier: EnvelopeVerifier) {
        state = Mutex(verifier)
    }

    /// Verifies `bytes` and returns the opened envelope; same checks and order as
    /// `EnvelopeVerifier.open`.
    public func open(_ bytes: [UInt8], now: Timestamp = .now()) throws(EnvelopeError) -> OpenedEnvelope {
        let policy = state.withLock { $0.policy }
        let envelope = try policy.authenticate(bytes, now: now)
        try state.withLock { verifier throws(EnvelopeError) in try verifier.check(envelope, now: now) }
        let opened = try policy.unseal(envelope)
        try state.withLock { verifier throws(EnvelopeError) in try verifier.record(envelope, now: now) }
        return opened
    }

    /// Reads or changes the verifier (trusted senders, local id, …) under the lock.
    /// Opens already past their policy snapshot finish under the old settings.
    public func withVerifier<Result: Sendable>(_ body: (inout EnvelopeVerifier) -> Result) -> Result {
        state.withLock { body(&$0) }
    }
}
