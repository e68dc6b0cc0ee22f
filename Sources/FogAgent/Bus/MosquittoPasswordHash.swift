internal import Crypto
internal import Foundation

/// Password-file entries in the format Mosquitto 2.0 writes with `mosquitto_passwd`:
/// `user:$7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512>` (101 iterations,
/// 12-byte salt, 64-byte hash).
///
/// Computed here rather than by running `mosquitto_passwd -b`, which would put every
/// password on a command line visible in `ps` and `/proc`.
enum MosquittoPasswordHash {
    static let iterations = 101
    static let saltLength = 12

    static func entry(username: String, password: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return entry(username: username, password: password, salt: salt)
    }

    static func entry(username: String, password: String, salt: [UInt8]) -> String {
        let hash = derive(password: Array(password.utf8), salt: salt)
        return "\(username):$7$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// PBKDF2 (RFC 8018) with HMAC-SHA512; one block suffices because the output is exactly
    /// one SHA-512 digest.
    static func derive(password: [UInt8], salt: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var block = Array(HMAC<SHA512>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var result = block
        for _ in 1..<iterations {
            block = Array(HMAC<SHA512>.authenticationCode(for: block, using: key))
            for index in result.indices {
                result[index] ^= block[index]
            }
        }
        return result
    }
}
