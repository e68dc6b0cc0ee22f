/// The one-time key an operator gets from `fogctl agent add NAME` and hands to
/// `fog-agent provision --key KEY` out of band.
///
/// It is the whole of a new agent's initial trust: the MQTT credential of a short-lived
/// provisioning principal on a ComSat (id as username and client id, secret as password;
/// the controller stores only the secret's hash), and a fingerprint of the controller's
/// signing key, so the agent can verify the controller's answer without any manual step.
///
/// The id is also the opaque level of the principal's topics (`q/<id>`, `p/<id>`): it is
/// random, already visible to the ComSat as the username, and not a secret, so deriving
/// other ids from it would hide nothing.
///
/// Text form (`token`): `fogkey1.` followed by 102 base64url symbols of
///
///     0  16  key id
///    16  32  secret
///    48   8  expiry, ms since the Unix epoch (big-endian)
///    56  16  controller key fingerprint
///    72   4  CRC-32C of bytes 0..<72 (big-endian)
///
/// `description` never shows the secret.
public struct ProvisioningKey: Sendable, Equatable {
    /// The token prefix up to the version digits.
    public static let prefixStem = "fogkey"
    /// The layout version this build writes and reads.
    public static let version = 1
    /// The complete prefix written, `fogkey1.`.
    public static var prefix: String { "\(prefixStem)\(version)." }
    /// Size of the binary form, checksum included.
    public static let byteCount =
        16 + Secret.byteCount + 8 + ControllerKeyFingerprint.byteCount
        + ProvisioningKeyChecksum.byteCount
    /// Length of `token`.
    public static var tokenLength: Int { prefix.utf8.count + Base64URL.encodedLength(byteCount: byteCount) }

    /// Username, client id and topic level of the provisioning principal.
    public let id: OpaqueID
    /// The MQTT password (`secret.text`).
    public let secret: Secret
    /// From this instant the key is refused, by the agent before use and by the controller.
    public let expiry: Timestamp
    public let controllerKeyFingerprint: ControllerKeyFingerprint

    public init(
        id: OpaqueID = OpaqueID(), secret: Secret = Secret(), expiry: Timestamp,
        controllerKeyFingerprint: ControllerKeyFingerprint
    ) {
        self.id = id
        self.secret = secret
        self.expiry = expiry
        self.controllerKeyFingerprint = controllerKeyFingerprint
    }

    /// A fresh key for the controller whose signing key is `controllerKey`.
    public init(expiry: Timestamp, controllerKey: SigningPublicKey) {
        self.init(expiry: expiry, controllerKeyFingerprint: ControllerKeyFingerprint(of: controllerKey))
    }

    /// Parses a token strictly (after trimming surrounding whitespace, which copy and paste
    /// adds). Does not check expiry: see `checkUsable(now:)`.
    public init(token: some StringProtocol) throws(ProvisioningKeyError) {
        let text = Self.trimmed(Array(token.utf8))
        let stem = Array(Self.prefixStem.utf8)
        guard text.starts(with: stem) else {
            throw ProvisioningKeyError(code: .badPrefix, message: "a provisioning key starts with '\(Self.prefix)'")
        }
        let afterStem = text.dropFirst(stem.count)
        let digits = afterStem.prefix { (0x30...0x39).contains($0) }
        guard !digits.isEmpty, digits.count <= 4, afterStem.dropFirst(digits.count).first == 0x2E else {
            throw ProvisioningKeyError(code: .badPrefix, message: "a provisioning key starts with '\(Self.prefix)'")
        }
        let version = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard version == Self.version, digits.count == 1 else {
            throw ProvisioningKeyError(
                code: .unsupportedVersion,
                message: "provisioning key version \(version) is not supported (this build reads \(Self.version))")
        }
        let body = afterStem.dropFirst(digits.count + 1)
        let expectedSymbols = Base64URL.encodedLength(byteCount: Self.byteCount)
        guard body.count == expectedSymbols else {
            throw ProvisioningKeyError(
                code: .wrongLength,
                message: "a provisioning key has \(expectedSymbols) symbols after '\(Self.prefix)', got \(body.count)")
        }
        let bytes: [UInt8]
        do {
            bytes = try Base64URL.decode(utf8: body)
        } catch {
            throw ProvisioningKeyError(
                code: .badEncoding,
                message: "symbol \(error.offset + 1) after '\(Self.prefix)' is not valid base64url (mistyped?)")
        }
        try self.init(binary: bytes)
    }

    /// Splits the 76 bytes into fields after checking the length and the checksum.
    private init(binary bytes: [UInt8]) throws(ProvisioningKeyError) {
        guard bytes.count == Self.byteCount else {
            throw ProvisioningKeyError(
                code: .wrongLength, message: "a provisioning key is \(Self.byteCount) bytes, got \(bytes.count)")
        }
        let payloadSize = Self.byteCount - ProvisioningKeyChecksum.byteCount
        let stored = bytes[payloadSize...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard stored == ProvisioningKeyChecksum.checksum(bytes[..<payloadSize]) else {
            throw ProvisioningKeyError(
                code: .badChecksum, message: "the provisioning key's checksum does not match (mistyped?)")
        }
        let expiryStart = 16 + Secret.byteCount
        let fingerprintStart = expiryStart + 8
        // Fixed slices of a buffer of checked length: these cannot fail.
        guard let id = OpaqueID(bytes: bytes[..<16]),
            let secret = Secret(bytes: bytes[16..<expiryStart]),
            let fingerprint = ControllerKeyFingerprint(bytes: Array(bytes[fingerprintStart..<payloadSize]))
        else {
            throw ProvisioningKeyError(code: .wrongLength, message: "provisioning key fields have the wrong size")
        }
        let expiry = bytes[expiryStart..<fingerprintStart].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        self.init(
            id: id, secret: secret, expiry: Timestamp(millisecondsSinceEpoch: expiry),
            controllerKeyFingerprint: fingerprint)
    }

    /// The binary form, checksum included.
    public var binary: [UInt8] {
        var writer = ByteWriter(capacity: Self.byteCount)
        id.write(to: &writer)
        writer.writeBytes(secret.bytes)
        writer.writeUInt64(expiry.millisecondsSinceEpoch)
        writer.writeBytes(controllerKeyFingerprint.bytes)
        writer.writeUInt32(ProvisioningKeyChecksum.checksum(writer.bytes))
        return writer.bytes
    }

    /// The text form handed to the operator. Contains the secret: show it once, never log it.
    public var token: String { Self.prefix + Base64URL.encode(binary) }

    public func isExpired(at now: Timestamp) -> Bool { now >= expiry }

    /// Throws `.expired` once `now` reaches the expiry.
    public func checkUsable(now: Timestamp = .now()) throws(ProvisioningKeyError) {
        guard !isExpired(at: now) else {
            let age = now.millisecondsSinceEpoch - expiry.millisecondsSinceEpoch
            throw ProvisioningKeyError(
                code: .expired,
                message: "provisioning key \(id) expired \(age / 1_000) s ago; create a new one with 'fogctl agent add'"
            )
        }
    }

    /// MQTT username and client id of the provisioning principal.
    public var username: String { id.description }
    /// Where the key holder publishes its request: `q/<id>`.
    public var requestTopic: String { ComSatTopic.topic(.provisioningRequest, id) }
    /// Where the controller answers: `p/<id>`.
    public var responseTopic: String { ComSatTopic.topic(.provisioningResponse, id) }

    /// The ComSat grant of this key's principal. Grant expiry is in whole seconds and must
    /// not outlive the key, so it is rounded down (0 would mean "never", so at least 1).
    public var grant: Grant {
        Grant.provisioningKey(
            username: username, clientID: username, secretHash: secret.hash, requestTopic: requestTopic,
            responseTopic: responseTopic, expiry: max(1, expiry.millisecondsSinceEpoch / 1_000))
    }

    private static func trimmed(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        var slice = bytes[...]
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return slice
    }
}

extension ProvisioningKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "ProvisioningKey(id: \(id), expiry: \(expiry), controller: \(controllerKeyFingerprint), secret: redacted)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["id": id, "expiry": expiry, "controllerKeyFingerprint": controllerKeyFingerprint])
    }
}
