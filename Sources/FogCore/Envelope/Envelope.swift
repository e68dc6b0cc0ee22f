/// A control envelope, decoded but not yet authenticated: the wire format and its constants.
///
/// Layout (big-endian, offsets in bytes; see docs/PROTOCOL.md, "Control envelope"):
///
///     0   1   magic 0xFE
///     1   1   version (1)
///     2   1   flags: bit 0 = sealed, bits 1-7 reserved (must be 0)
///     3   1   kind
///     4  16   sender id
///    20  16   recipient id (all zero = none)
///    36   8   timestamp, ms since the Unix epoch
///    44  16   nonce
///    60  32   ephemeral X25519 public key (sealed only)
///  60/92  4   body length N
///  64/96  N   body (sealed: ChaCha20-Poly1305 ciphertext + 16-byte tag)
///  +N    64   Ed25519 signature over `signatureContext` + every preceding byte
///
/// Decoding is strict: each malformation has its own `EnvelopeError` code and nothing may
/// follow the signature. Only `EnvelopeVerifier` turns an `Envelope` into something to trust.
public struct Envelope: Sendable {
    public static let magic: UInt8 = 0xFE
    public static let version: UInt8 = 1
    /// Flag bit 0: the body is sealed to the recipient's agreement key.
    public static let sealedFlag: UInt8 = 0x01

    /// Header size of a plain envelope, up to and including the body length.
    public static let plainHeaderSize = 64
    /// Header size of a sealed envelope (adds the 32-byte ephemeral key).
    public static let sealedHeaderSize = 96
    public static let signatureSize = SigningKey.signatureByteCount
    /// Poly1305 tag appended to a sealed body.
    public static let tagSize = 16
    public static let ephemeralKeySize = AgreementPublicKey.byteCount
    /// Default for `EnvelopeVerifier.maximumSize`: 1 MiB, far above any control message.
    public static let defaultMaximumSize = 1 << 20

    /// Prefixed to the signed bytes so an envelope signature can never be mistaken for (or
    /// replayed as) a signature in another FogFabric protocol using the same key.
    public static let signatureContext: [UInt8] = Array("FogFabric envelope v1 signature".utf8)
    /// HKDF info for the sealing key and AEAD nonce.
    public static let sealContext: [UInt8] = Array("FogFabric envelope v1 seal".utf8)

    public let kind: EnvelopeKind
    public let sender: OpaqueID
    /// nil when the recipient field is all zero.
    public let recipient: OpaqueID?
    public let timestamp: Timestamp
    public let nonce: EnvelopeNonce
    /// Raw ephemeral X25519 public key; present exactly when the envelope is sealed.
    /// Not validated here: a small-order point is caught when unsealing.
    public let ephemeralKey: [UInt8]?
    /// Plaintext, or for sealed envelopes ciphertext followed by the tag.
    public let body: [UInt8]
    public let signature: [UInt8]

    /// The complete encoded envelope, kept to verify the signature and as AEAD associated data.
    let encoded: [UInt8]
    /// Bytes up to and including the body length: the AEAD associated data.
    let headerSize: Int

    public var isSealed: Bool { ephemeralKey != nil }

    /// Decodes `bytes` strictly. Checks the size limit first, so oversized input costs nothing.
    public init(decoding bytes: [UInt8], maximumSize: Int = Envelope.defaultMaximumSize) throws(EnvelopeError) {
        guard bytes.count <= maximumSize else {
            throw EnvelopeError(
                code: .oversized,
                message: "envelope of \(bytes.count) bytes exceeds the limit of \(maximumSize)")
        }
        let header = try Header(decoding: bytes)
        let headerSize = header.size
        let sender = header.sender

        let claimedTotal = headerSize + Int(header.bodyLength) + Self.signatureSize
        guard claimedTotal <= maximumSize else {
            throw EnvelopeError(
                code: .badLength,
                message: "body length \(header.bodyLength) makes the envelope exceed the limit of \(maximumSize)",
                sender: sender)
        }
        if header.ephemeralKey != nil, header.bodyLength < Self.tagSize {
            throw EnvelopeError(
                code: .badLength,
                message: "sealed body length \(header.bodyLength) is shorter than the \(Self.tagSize)-byte tag",
                sender: sender)
        }
        guard claimedTotal <= bytes.count else {
            throw EnvelopeError(
                code: .truncated,
                message: "envelope is \(bytes.count) bytes but its body length implies \(claimedTotal)",
                sender: sender)
        }
        guard claimedTotal == bytes.count else {
            throw EnvelopeError(
                code: .badLength,
                message: "\(bytes.count - claimedTotal) bytes follow the signature",
                sender: sender)
        }
        let bodyEnd = headerSize + Int(header.bodyLength)
        body = Array(bytes[headerSize..<bodyEnd])
        signature = Array(bytes[bodyEnd...])

        kind = header.kind
        self.sender = sender
        recipient = header.recipient.isZero ? nil : header.recipient
        timestamp = header.timestamp
        nonce = header.nonce
        ephemeralKey = header.ephemeralKey
        encoded = bytes
        self.headerSize = headerSize
    }

    /// Bytes the signature covers: context, then everything before the signature.
    var signedMessage: [UInt8] {
        Self.signatureContext + encoded[..<(encoded.count - Self.signatureSize)]
    }

    /// The AEAD associated data: the header, so sender, recipient, kind, timestamp, nonce
    /// and ephemeral key are bound to the ciphertext.
    var associatedData: ArraySlice<UInt8> {
        encoded[..<headerSize]
    }
}

extension Envelope {
    /// The fixed fields before the body, shared by the encoder's and decoder's view.
    struct Header {
        var kind: EnvelopeKind
        var sender: OpaqueID
        var recipient: OpaqueID
        var timestamp: Timestamp
        var nonce: EnvelopeNonce
        var ephemeralKey: [UInt8]?
        var bodyLength: UInt32

        init(
            kind: EnvelopeKind, sender: OpaqueID, recipient: OpaqueID, timestamp: Timestamp,
            nonce: EnvelopeNonce, ephemeralKey: [UInt8]?, bodyLength: UInt32
        ) {
            self.kind = kind
            self.sender = sender
            self.recipient = recipient
            self.timestamp = timestamp
            self.nonce = nonce
            self.ephemeralKey = ephemeralKey
            self.bodyLength = bodyLength
        }

        /// Size of the encoded header: the AEAD associated data.
        var size: Int { ephemeralKey == nil ? Envelope.plainHeaderSize : Envelope.sealedHeaderSize }

        /// Decodes the header at the start of `bytes`, checking magic, version and flags in
        /// that order before the length, so each problem gets its own code.
        init(decoding bytes: [UInt8]) throws(EnvelopeError) {
            func require(_ count: Int) throws(EnvelopeError) {
                guard bytes.count >= count else {
                    throw EnvelopeError(
                        code: .truncated,
                        message: "envelope of \(bytes.count) bytes ends inside its \(count)-byte header")
                }
            }
            try require(1)
            guard bytes[0] == Envelope.magic else {
                throw EnvelopeError(code: .malformed, message: "first byte is not the envelope magic 0xFE")
            }
            try require(2)
            guard bytes[1] == Envelope.version else {
                throw EnvelopeError(
                    code: .unknownVersion,
                    message: "envelope version \(bytes[1]) is not supported (expected \(Envelope.version))")
            }
            try require(3)
            let flags = bytes[2]
            guard flags & ~Envelope.sealedFlag == 0 else {
                throw EnvelopeError(
                    code: .malformed,
                    message: "reserved flag bits set (flags 0x\(String(flags, radix: 16)))")
            }
            let isSealed = flags & Envelope.sealedFlag != 0
            try require(isSealed ? Envelope.sealedHeaderSize : Envelope.plainHeaderSize)

            var reader = ByteReader(bytes)
            do {
                _ = try reader.readBytes(count: 3)
                kind = EnvelopeKind(rawValue: try reader.readUInt8())
                sender = try OpaqueID(from: &reader)
                recipient = try OpaqueID(from: &reader)
                timestamp = Timestamp(millisecondsSinceEpoch: try reader.readUInt64())
                nonce = try EnvelopeNonce(from: &reader)
                ephemeralKey = isSealed ? try reader.readBytes(count: Envelope.ephemeralKeySize) : nil
                bodyLength = try reader.readUInt32()
            } catch {
                // Unreachable after `require`; kept typed rather than trapping.
                throw EnvelopeError(code: .truncated, message: error.description)
            }
        }

        func write(to writer: inout ByteWriter) {
            writer.writeUInt8(Envelope.magic)
            writer.writeUInt8(Envelope.version)
            writer.writeUInt8(ephemeralKey == nil ? 0 : Envelope.sealedFlag)
            writer.writeUInt8(kind.rawValue)
            sender.write(to: &writer)
            recipient.write(to: &writer)
            writer.writeUInt64(timestamp.millisecondsSinceEpoch)
            nonce.write(to: &writer)
            if let ephemeralKey { writer.writeBytes(ephemeralKey) }
            writer.writeUInt32(bodyLength)
        }
    }
}
