import FogCore
import Testing

/// Codec round trips and limits of `ProvisioningRequest` and `ProvisioningResponse` bodies.
@Suite struct ProvisioningMessageTests {
    let fixture = ProvisioningFixture()

    var request: ProvisioningRequest {
        ProvisioningRequest(
            signingKey: fixture.agentSigningKey.publicKey, agreementKey: fixture.agentAgreementKey.publicKey,
            secretHash: fixture.agentSecret.hash, name: "gateway-1",
            labels: ["b": "2", "a": "1", "zone": "", "é": "ü"])
    }

    @Test func requestRoundTrips() throws {
        for original in [
            request,
            ProvisioningRequest(
                signingKey: fixture.agentSigningKey.publicKey, agreementKey: fixture.agentAgreementKey.publicKey,
                secretHash: fixture.agentSecret.hash),
        ] {
            #expect(try ProvisioningRequest(decoding: try original.encoded()) == original)
        }
        #expect(try request.encoded().count == 96 + (2 + 9) + 2 + 6 + 6 + 8 + 8)
    }

    @Test func responseRoundTrips() throws {
        var bare = fixture.assignment
        bare.certificateAuthorityPEM = nil
        let outcomes: [ProvisioningResponse.Outcome] = [
            .accepted(fixture.assignment), .accepted(bare),
            .refused(.init(reason: .malformed, detail: "labels keys are not strictly ascending")),
            .refused(.init(reason: .unknownKey)),
        ]
        for outcome in outcomes {
            let response = ProvisioningResponse(
                requestNonce: EnvelopeNonce(), controllerSigningKey: fixture.controllerSigningKey.publicKey,
                outcome: outcome)
            #expect(try ProvisioningResponse(decoding: try response.encoded()) == response)
        }
    }

    @Test func requestDecodingIsStrict() throws {
        let bytes = try request.encoded()
        func code(_ input: [UInt8]) -> CodecError.Code? {
            do {
                _ = try ProvisioningRequest(decoding: input)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code(bytes + [0]) == .trailingBytes)
        #expect(code(Array(bytes.dropLast())) == .truncated)
        // A low-order X25519 point (all zero) is not a usable agreement key.
        var lowOrder = bytes
        lowOrder.replaceSubrange(32..<64, with: [UInt8](repeating: 0, count: 32))
        #expect(code(lowOrder) == .invalidValue)
        // Labels must be strictly ascending: swap the first two ("a", "b").
        var unsorted = ByteWriter()
        unsorted.writeBytes(bytes[..<96])
        try unsorted.writeLengthPrefixed16([])
        unsorted.writeUInt16(2)
        for key in ["b", "a"] {
            try unsorted.writeLengthPrefixed16(Array(key.utf8))
            try unsorted.writeLengthPrefixed16([])
        }
        #expect(code(unsorted.bytes) == .invalidValue)
        // "e" + combining acute and precomposed "é" differ in bytes (ascending) but are equal
        // Swift strings: accepting both would silently drop one.
        var equivalent = ByteWriter()
        equivalent.writeBytes(bytes[..<96])
        try equivalent.writeLengthPrefixed16([])
        equivalent.writeUInt16(2)
        for key in [[0x65, 0xCC, 0x81], [0xC3, 0xA9]] as [[UInt8]] {
            try equivalent.writeLengthPrefixed16(key)
            try equivalent.writeLengthPrefixed16([0x31])
        }
        #expect(code(equivalent.bytes) == .invalidValue)
        var invalidUTF8 = ByteWriter()
        invalidUTF8.writeBytes(bytes[..<96])
        try invalidUTF8.writeLengthPrefixed16([0xC3, 0x28])
        invalidUTF8.writeUInt16(0)
        #expect(code(invalidUTF8.bytes) == .invalidValue)
        var tooMany = ByteWriter()
        tooMany.writeBytes(bytes[..<96])
        try tooMany.writeLengthPrefixed16([])
        tooMany.writeUInt16(UInt16(ProvisioningRequest.maximumLabelCount + 1))
        #expect(code(tooMany.bytes) == .lengthTooLarge)
    }

    @Test func encodersRefuseWhatDecodersWouldRefuse() {
        var longName = request
        longName.name = String(repeating: "x", count: ProvisioningRequest.maximumNameLength + 1)
        #expect(throws: CodecError.self) { try longName.encoded() }
        var emptyName = request
        emptyName.name = ""
        #expect(throws: CodecError.self) { try emptyName.encoded() }
        var emptyKey = request
        emptyKey.labels = ["": "x"]
        #expect(throws: CodecError.self) { try emptyKey.encoded() }
        var bigCertificate = fixture.assignment
        bigCertificate.certificateAuthorityPEM = String(
            repeating: "c", count: ProvisioningAssignment.maximumCertificateLength + 1)
        let response = ProvisioningResponse(
            requestNonce: EnvelopeNonce(), controllerSigningKey: fixture.controllerSigningKey.publicKey,
            outcome: .accepted(bigCertificate))
        #expect(throws: CodecError.self) { try response.encoded() }
    }
}
