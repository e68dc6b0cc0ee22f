import FogCore
import Testing

@Suite struct ProvisioningKeyTests {
    static let now = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func makeKey() -> ProvisioningKey {
        ProvisioningKey(expiry: now.advanced(by: .seconds(1_200)), controllerKey: SigningKey().publicKey)
    }

    @Test func tokenRoundTrips() throws {
        let key = Self.makeKey()
        let token = key.token
        #expect(token.hasPrefix("fogkey1."))
        #expect(token.utf8.count == ProvisioningKey.tokenLength)
        #expect(ProvisioningKey.tokenLength == 110)
        let parsed = try ProvisioningKey(token: token)
        #expect(parsed == key)
        #expect(parsed.secret == key.secret)
        #expect(parsed.expiry == key.expiry)
        #expect(parsed.controllerKeyFingerprint == key.controllerKeyFingerprint)
        #expect(try ProvisioningKey(token: "  \n" + token + "\r\n") == key)
    }

    @Test func everySingleCharacterChangeIsRejected() throws {
        let key = Self.makeKey()
        let token = Array(key.token.utf8)
        let replacements = Self.alphabet + Array(".=+/ !".utf8)
        var tried = 0
        var codes: [ProvisioningKeyError.Code: Int] = [:]
        for position in token.indices {
            for replacement in replacements where replacement != token[position] {
                var changed = token
                changed[position] = replacement
                tried += 1
                do {
                    let parsed = try ProvisioningKey(token: String(decoding: changed, as: UTF8.self))
                    Issue.record("changing symbol \(position) to \(replacement) was accepted: \(parsed)")
                } catch {
                    codes[error.code, default: 0] += 1
                }
            }
            // Deleting or duplicating a symbol is caught as well.
            var deleted = token
            deleted.remove(at: position)
            #expect(throws: ProvisioningKeyError.self) {
                try ProvisioningKey(token: String(decoding: deleted, as: UTF8.self))
            }
            var doubled = token
            doubled.insert(token[position], at: position)
            #expect(throws: ProvisioningKeyError.self) {
                try ProvisioningKey(token: String(decoding: doubled, as: UTF8.self))
            }
        }
        #expect(tried > 7_000)
        #expect(codes[.badChecksum, default: 0] > 6_000)
        #expect(codes[.badPrefix, default: 0] > 0)
        #expect(codes[.badEncoding, default: 0] > 0)
    }

    @Test func refusesForeignPrefixesVersionsAndLengths() {
        let token = Self.makeKey().token
        let body = token.dropFirst(ProvisioningKey.prefix.utf8.count)
        func code(_ text: String) -> ProvisioningKeyError.Code? {
            do {
                _ = try ProvisioningKey(token: text)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code("") == .badPrefix)
        #expect(code("fogkey." + body) == .badPrefix)
        #expect(code("FOGKEY1." + body) == .badPrefix)
        #expect(code("fogkey2." + body) == .unsupportedVersion)
        #expect(code("fogkey01." + body) == .unsupportedVersion)
        #expect(code("fogkey1." + body.dropLast(4)) == .wrongLength)
        #expect(code("fogkey1." + body + "AAAA") == .wrongLength)
        #expect(code("fogkey1." + body.dropLast() + "=") == .badEncoding)
    }

    @Test func expiryIsCheckedAgainstTheGivenClock() throws {
        let key = Self.makeKey()
        try key.checkUsable(now: Self.now)
        try key.checkUsable(now: key.expiry.advanced(by: .milliseconds(-1)))
        #expect(!key.isExpired(at: Self.now))
        let error = #expect(throws: ProvisioningKeyError.self) { try key.checkUsable(now: key.expiry) }
        #expect(error?.code == .expired)
        #expect(error?.message.contains(key.id.description) == true)
        #expect(key.isExpired(at: key.expiry.advanced(by: .seconds(1))))
    }

    @Test func descriptionAndErrorsNeverShowTheSecret() {
        let key = Self.makeKey()
        let secretText = key.secret.text
        #expect(!key.description.contains(secretText))
        #expect(!String(reflecting: key).contains(secretText))
        #expect(key.description.contains("redacted"))
        var token = Array(key.token.utf8)
        token[20] = token[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        do {
            _ = try ProvisioningKey(token: String(decoding: token, as: UTF8.self))
            Issue.record("a changed token parsed")
        } catch {
            #expect(!error.description.contains(String(decoding: token[8...], as: UTF8.self)))
        }
    }

    @Test func grantMatchesTheKeysPrincipalAndDoesNotOutliveIt() throws {
        let key = Self.makeKey()
        let grant = key.grant
        try grant.validate()
        #expect(grant.kind == .provisioningKey)
        #expect(grant.username == key.id.description)
        #expect(grant.clientID == key.id.description)
        #expect(grant.secretHash == key.secret.hash)
        #expect(grant.publishTopics == ["q/\(key.id)"])
        #expect(grant.subscribeTopics == ["p/\(key.id)"])
        #expect(grant.expiry * 1_000 <= key.expiry.millisecondsSinceEpoch)
        #expect(grant.expiry == key.expiry.millisecondsSinceEpoch / 1_000)
    }

    @Test func fingerprintNamesExactlyOneKey() {
        let controller = SigningKey().publicKey
        let fingerprint = ControllerKeyFingerprint(of: controller)
        #expect(fingerprint.matches(controller))
        #expect(!fingerprint.matches(SigningKey().publicKey))
        #expect(fingerprint.bytes.count == 16)
        #expect(fingerprint.description.count == 32)
    }
}
