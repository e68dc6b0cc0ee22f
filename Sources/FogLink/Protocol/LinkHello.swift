internal import Crypto
import FogCore

/// The handshake frame (type 0x01), 83 bytes:
///
///      1  type 0x01
///      1  sender side (1 A, 2 B)
///      1  flags: bit 0 = the sender has seen the receiver echo its current key
///     32  sender's ephemeral X25519 public key
///     32  echo: the receiver's ephemeral key as the sender last accepted it (zeros: none)
///     16  HMAC-SHA256(hello key, bytes[0, 67)) truncated to 16 bytes
///
/// The tag only proves the sender holds the PSK; freshness comes from the echo of the
/// receiver's fresh key, which no replay can carry.
struct LinkHello: Sendable, Hashable {
    static let type: UInt8 = 0x01
    static let size = 83
    static let keySize = 32
    private static let tagSize = 16
    private static let confirmedFlag: UInt8 = 0x01

    var side: Grant.LinkSide
    var confirmed: Bool
    var key: [UInt8]
    var echo: [UInt8]?

    func encoded(helloKey: SymmetricKey) -> [UInt8] {
        var bytes: [UInt8] = [Self.type, side.rawValue, confirmed ? Self.confirmedFlag : 0]
        bytes.reserveCapacity(Self.size)
        bytes += key
        bytes += echo ?? [UInt8](repeating: 0, count: Self.keySize)
        bytes += Self.tag(bytes, helloKey: helloKey)
        return bytes
    }

    init(side: Grant.LinkSide, confirmed: Bool, key: [UInt8], echo: [UInt8]?) {
        self.side = side
        self.confirmed = confirmed
        self.key = key
        self.echo = echo
    }

    /// Checks length, tag, then fields; the tag first, so a forgery learns nothing else.
    init(decoding bytes: [UInt8], helloKey: SymmetricKey) throws(LinkProtocolError) {
        guard bytes.count == Self.size, bytes[0] == Self.type else {
            throw LinkProtocolError(.malformed, "hello of \(bytes.count) bytes; expected \(Self.size)")
        }
        let body = Array(bytes[0..<(Self.size - Self.tagSize)])
        let expected = Self.tag(body, helloKey: helloKey)
        var difference: UInt8 = 0
        for (left, right) in zip(expected, bytes[(Self.size - Self.tagSize)...]) {
            difference |= left ^ right
        }
        guard difference == 0 else {
            throw LinkProtocolError(.authenticationFailed, "hello tag does not verify")
        }
        guard let side = Grant.LinkSide(rawValue: bytes[1]), bytes[2] & ~Self.confirmedFlag == 0 else {
            throw LinkProtocolError(.malformed, "hello with side \(bytes[1]) and flags \(bytes[2])")
        }
        self.side = side
        confirmed = bytes[2] & Self.confirmedFlag != 0
        key = Array(bytes[3..<35])
        let echo = Array(bytes[35..<67])
        self.echo = echo.allSatisfy { $0 == 0 } ? nil : echo
    }

    private static func tag(_ body: [UInt8], helloKey: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: body, using: helloKey)).prefix(tagSize).map { $0 }
    }
}
