internal import Crypto

/// SHA-256 of a secret's text form: what a ComSat or the controller stores instead of the
/// password.
///
/// A plain hash is enough because secrets are 256-bit random values, not human passwords:
/// there is nothing to brute-force. `matches` compares in constant time so an attacker
/// timing failed logins learns nothing about the stored hash. Stored as four words so that
/// hashing a password and comparing builds no `Array` or `String` (the plugin does it per
/// CONNECT); the only allocation is swift-crypto's internal SHA-256 context.
public struct SecretHash: Sendable {
    public static let byteCount = 32

    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// Hashes the password exactly as received: the UTF-8 bytes of a `Secret`'s text.
    public init(of password: some Collection<UInt8>) {
        let digest =
            password.withContiguousStorageIfAvailable { buffer in
                Self.digest(UnsafeRawBufferPointer(buffer))
            } ?? Array(password).withUnsafeBytes { Self.digest($0) }
        self.init(digest: digest)
    }

    /// Hashes password bytes in place, e.g. the C string the broker hands the plugin.
    public init(of password: UnsafeRawBufferPointer) {
        self.init(digest: Self.digest(password))
    }

    /// The hash whose raw form is `bytes`; nil unless exactly 32 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard let words = WordPacking.words(from: bytes, count: 4) else { return nil }
        self.words = (words[0], words[1], words[2], words[3])
    }

    /// Parses the lowercase hex form (`description`).
    public init(hex: some StringProtocol) throws(KeyError) {
        let bytes: [UInt8]
        do {
            bytes = try Hex.decode(hex)
        } catch {
            throw .invalidEncoding("secret hash", error)
        }
        guard let hash = SecretHash(bytes: bytes) else {
            throw .invalidSize("secret hash", expected: Self.byteCount, actual: bytes.count)
        }
        self = hash
    }

    /// Reads the 32 raw bytes of a hash.
    public init(from reader: inout ByteReader) throws(CodecError) {
        words = (
            try reader.readUInt64(), try reader.readUInt64(),
            try reader.readUInt64(), try reader.readUInt64()
        )
    }

    private init(digest: SHA256.Digest) {
        words = digest.withUnsafeBytes { raw in
            (
                WordPacking.load(raw, word: 0), WordPacking.load(raw, word: 1),
                WordPacking.load(raw, word: 2), WordPacking.load(raw, word: 3)
            )
        }
    }

    private static func digest(_ bytes: UnsafeRawBufferPointer) -> SHA256.Digest {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return hasher.finalize()
    }

    /// The 32 raw bytes.
    public var bytes: [UInt8] { WordPacking.bytes(words.0, words.1, words.2, words.3) }

    /// Appends the 32 raw bytes.
    public func write(to writer: inout ByteWriter) {
        writer.writeUInt64(words.0)
        writer.writeUInt64(words.1)
        writer.writeUInt64(words.2)
        writer.writeUInt64(words.3)
    }

    /// Constant-time comparison: every word is examined whatever the first difference.
    public func matches(_ other: SecretHash) -> Bool {
        let difference = (words.0 ^ other.words.0) | (words.1 ^ other.words.1)
            | (words.2 ^ other.words.2) | (words.3 ^ other.words.3)
        return difference == 0
    }

    /// Hashes `password` in place and compares in constant time; builds no `Array` or `String`.
    public func matches(password: UnsafeRawBufferPointer) -> Bool {
        matches(SecretHash(of: password))
    }

    /// Hashes `password` (e.g. `secret.text.utf8`) and compares in constant time.
    public func matches(password: some Collection<UInt8>) -> Bool {
        matches(SecretHash(of: password))
    }
}

extension SecretHash: Hashable {
    /// Constant time, like `matches`, so a `Set` or `==` never becomes a timing oracle.
    public static func == (lhs: SecretHash, rhs: SecretHash) -> Bool {
        lhs.matches(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

extension SecretHash: CustomStringConvertible {
    /// Lowercase hex: safe to log, it is the stored form.
    public var description: String { Hex.encode(bytes) }
}

extension SecretHash: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try SecretHash(hex: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
