internal import Crypto
public import FogCore

/// The end-to-end state of one half: handshake, per-direction keys, frame sequence numbers.
///
/// A value type without I/O, so tampering, replay and reordering are tested by feeding bytes
/// straight into it. The runtime owns one and replaces its ephemeral key (`rekey()`) on every
/// (re)connection to the ComSat.
///
/// - Important: a (own key, peer key) pair is derived at most once: while the own key
///   lasts, a peer key is never accepted again after it was replaced (`retiredPeerKeys`),
///   and the own key is fresh per `rekey()`. So the frame counter, which restarts at 1 per pair, never repeats a nonce.
public struct LinkSession: Sendable {
    /// What an accepted frame meant.
    public enum Event: Sendable, Hashable {
        /// A handshake frame; `reply` is the hello to publish back, if the peer needs one.
        case hello(reply: [UInt8]?)
        /// A sealed frame's content, authenticated and in order.
        case payload(LinkPayload)
    }

    static let sealedType: UInt8 = 0x02
    /// type, side, 4-byte key hint, u64 frame sequence.
    static let sealedHeaderSize = 14
    static let tagSize = 16
    private static let retiredCapacity = 64

    public let linkID: OpaqueID
    public let side: Grant.LinkSide
    private let preSharedKey: Secret
    private let helloKey: SymmetricKey
    private var ownKey: Curve25519.KeyAgreement.PrivateKey
    private var ownPublicKey: [UInt8]
    private var peerPublicKey: [UInt8]?
    private var retiredPeerKeys: [[UInt8]] = []
    /// The peer showed it holds our current key (echo in a hello, or a valid sealed frame).
    private var confirmed = false
    private var sendKey: SymmetricKey?
    private var receiveKey: SymmetricKey?
    private var sendSequence: UInt64 = 0
    private var receiveSequence: UInt64 = 0
    /// Counts key derivations, so the runtime notices that unacknowledged data must be resent.
    public private(set) var keyEpoch: UInt64 = 0

    public init(linkID: OpaqueID, side: Grant.LinkSide, preSharedKey: Secret) {
        self.linkID = linkID
        self.side = side
        self.preSharedKey = preSharedKey
        helloKey = LinkKeySchedule.helloKey(linkID: linkID, preSharedKey: preSharedKey)
        ownKey = Curve25519.KeyAgreement.PrivateKey()
        ownPublicKey = Array(ownKey.publicKey.rawRepresentation)
    }

    /// Keys exist and the peer holds ours: sealed frames may be sent.
    public var isUp: Bool { confirmed && sendKey != nil }

    /// Starts a new handshake with a fresh ephemeral key; frames of the old keys become
    /// stale on both sides. Returns the hello to publish.
    public mutating func rekey() -> [UInt8] {
        ownKey = Curve25519.KeyAgreement.PrivateKey()
        ownPublicKey = Array(ownKey.publicKey.rawRepresentation)
        // With a fresh own key every pair is new, so the peer may keep its key.
        retiredPeerKeys = []
        peerPublicKey = nil
        confirmed = false
        sendKey = nil
        receiveKey = nil
        sendSequence = 0
        receiveSequence = 0
        return hello()
    }

    /// This half's current hello, for (re)transmission while the handshake is incomplete.
    public func hello() -> [UInt8] {
        LinkHello(side: side, confirmed: confirmed, key: ownPublicKey, echo: peerPublicKey).encoded(helloKey: helloKey)
    }

    /// Authenticates and interprets one frame from the peer's topic.
    ///
    /// Refusals change no state, so a forged or replayed frame cannot disturb the session.
    public mutating func open(_ frame: [UInt8]) throws(LinkProtocolError) -> Event {
        guard let type = frame.first else {
            throw LinkProtocolError(.malformed, "empty frame on link \(LogAlias.of(linkID))")
        }
        switch type {
        case LinkHello.type: return .hello(reply: try acceptHello(frame))
        case Self.sealedType: return .payload(try openSealed(frame))
        default: throw LinkProtocolError(.malformed, "unknown frame type \(type) on link \(LogAlias.of(linkID))")
        }
    }

    /// Seals `payload` as the next frame of this direction.
    public mutating func seal(_ payload: LinkPayload) throws(LinkProtocolError) -> [UInt8] {
        guard isUp, let sendKey else {
            throw LinkProtocolError(.notReady, "link \(LogAlias.of(linkID)) side \(side): handshake incomplete")
        }
        guard sendSequence < UInt64.max else {
            throw LinkProtocolError(.notReady, "link \(LogAlias.of(linkID)) side \(side): frame counter exhausted, rekey")
        }
        let plaintext = try payload.encoded()
        sendSequence += 1
        var header: [UInt8] = [Self.sealedType, side.rawValue]
        header.reserveCapacity(Self.sealedHeaderSize + plaintext.count + Self.tagSize)
        header += ownPublicKey[0..<4]
        header += Self.bigEndian(sendSequence)
        do {
            let box = try ChaChaPoly.seal(
                plaintext, using: sendKey, nonce: try Self.nonce(sendSequence), authenticating: header)
            return header + box.ciphertext + box.tag
        } catch {
            throw LinkProtocolError(.notReady, "sealing failed on link \(LogAlias.of(linkID))")
        }
    }

    private mutating func acceptHello(_ frame: [UInt8]) throws(LinkProtocolError) -> [UInt8]? {
        let received = try LinkHello(decoding: frame, helloKey: helloKey)
        guard received.side == side.other else {
            throw LinkProtocolError(.wrongSender, "hello from this half's own side \(side) on link \(LogAlias.of(linkID))")
        }
        guard !retiredPeerKeys.contains(received.key) else {
            throw LinkProtocolError(.staleKey, "hello with a retired peer key on link \(LogAlias.of(linkID))")
        }
        var changed = false
        if received.key != peerPublicKey {
            let keys = try LinkKeySchedule.trafficKeys(
                linkID: linkID, side: side, preSharedKey: preSharedKey, ownKey: ownKey, peerPublicKey: received.key)
            if let peerPublicKey { retire(peerPublicKey) }
            peerPublicKey = received.key
            (sendKey, receiveKey) = keys
            sendSequence = 0
            receiveSequence = 0
            confirmed = false
            keyEpoch += 1
            changed = true
        }
        let echoesOwnKey = received.echo == ownPublicKey
        if echoesOwnKey { confirmed = true }
        return changed || !echoesOwnKey || !received.confirmed ? hello() : nil
    }

    private mutating func openSealed(_ frame: [UInt8]) throws(LinkProtocolError) -> LinkPayload {
        guard frame.count >= Self.sealedHeaderSize + Self.tagSize else {
            throw LinkProtocolError(.malformed, "sealed frame of \(frame.count) bytes on link \(LogAlias.of(linkID))")
        }
        guard frame[1] == side.other.rawValue else {
            throw LinkProtocolError(.wrongSender, "sealed frame from side \(frame[1]) on link \(LogAlias.of(linkID))")
        }
        guard let peerPublicKey, let receiveKey else {
            throw LinkProtocolError(.notReady, "sealed frame before the handshake on link \(LogAlias.of(linkID))")
        }
        guard frame[2..<6].elementsEqual(peerPublicKey[0..<4]) else {
            throw LinkProtocolError(.staleKey, "sealed frame under an earlier key on link \(LogAlias.of(linkID))")
        }
        var sequence: UInt64 = 0
        for byte in frame[6..<14] { sequence = sequence << 8 | UInt64(byte) }
        guard sequence > receiveSequence else {
            throw LinkProtocolError(
                .replayed, "frame \(sequence) not above \(receiveSequence) on link \(LogAlias.of(linkID))")
        }
        let plaintext: [UInt8]
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: try Self.nonce(sequence), ciphertext: frame[Self.sealedHeaderSize..<(frame.count - Self.tagSize)],
                tag: frame[(frame.count - Self.tagSize)...])
            plaintext = Array(
                try ChaChaPoly.open(box, using: receiveKey, authenticating: frame[0..<Self.sealedHeaderSize]))
        } catch {
            throw LinkProtocolError(.authenticationFailed, "sealed frame does not verify on link \(LogAlias.of(linkID))")
        }
        let payload = try LinkPayload(decoding: plaintext)
        receiveSequence = sequence
        // Only a peer holding our current key can seal under these keys.
        confirmed = true
        return payload
    }

    private mutating func retire(_ key: [UInt8]) {
        retiredPeerKeys.append(key)
        if retiredPeerKeys.count > Self.retiredCapacity {
            retiredPeerKeys.removeFirst(retiredPeerKeys.count - Self.retiredCapacity)
        }
    }

    private static func nonce(_ sequence: UInt64) throws -> ChaChaPoly.Nonce {
        try ChaChaPoly.Nonce(data: [0, 0, 0, 0] + bigEndian(sequence))
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }
}
