/// One side of a link, as the controller tells the agent that must run it.
///
/// It holds only this half: the ComSat to connect to, this side's topic pair and MQTT
/// identity, the link's pre-shared key and this side's routes. Nothing names the peer
/// agent, its address or its topics on its bus. The half chooses its own MQTT secret and
/// reports only its hash (`LinkSecretReport`).
///
/// Layout (big-endian):
///
///     16   link id
///      1   side (1 = A, 2 = B)
///     2+n  ComSat URL, UTF-8, 1...1024 bytes
///     4+n  CA certificate PEM, 0...65536 bytes (0 = none)
///     2+n  publish topic `l/<level>`
///     2+n  subscribe topic `l/<level>` (differs from the publish topic)
///     2+n  MQTT username, 1...128 bytes of [A-Za-z0-9._-]
///     2+n  MQTT client id, same rules
///     32   pre-shared key
///      2   route count, 0...64; each a `LinkRoute`
public struct LinkHalfAssignment: Sendable, Hashable {
    public static let maximumRouteCount = LinkRoute.maximumCount

    public var linkID: OpaqueID
    public var side: Grant.LinkSide
    public var comsatURL: String
    public var certificateAuthorityPEM: String?
    /// This side's direction: what it publishes.
    public var publishTopic: String
    /// The peer's direction: what it subscribes to.
    public var subscribeTopic: String
    public var username: String
    public var clientID: String
    /// Binds the end-to-end handshake to this link; never stored by the controller after delivery.
    public var preSharedKey: Secret
    public var routes: [LinkRoute]

    public init(
        linkID: OpaqueID, side: Grant.LinkSide, comsatURL: String, certificateAuthorityPEM: String? = nil,
        publishTopic: String, subscribeTopic: String, username: String, clientID: String,
        preSharedKey: Secret, routes: [LinkRoute]
    ) {
        self.linkID = linkID
        self.side = side
        self.comsatURL = comsatURL
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.publishTopic = publishTopic
        self.subscribeTopic = subscribeTopic
        self.username = username
        self.clientID = clientID
        self.preSharedKey = preSharedKey
        self.routes = routes
    }

    /// The assignment alone, as the agent hands it to the half's `fog-link` process.
    public func encoded() throws(CodecError) -> [UInt8] {
        var writer = ByteWriter(capacity: 512)
        try write(to: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(CodecError) {
        var reader = ByteReader(bytes)
        try self.init(from: &reader)
        try reader.expectEnd()
    }

    func write(to writer: inout ByteWriter) throws(CodecError) {
        linkID.write(to: &writer)
        writer.writeUInt8(side.rawValue)
        guard !comsatURL.isEmpty else {
            throw CodecError(code: .invalidValue, offset: writer.count, message: "ComSat URL is empty")
        }
        try WireText.write(
            comsatURL, field: "ComSat URL", maximum: ProvisioningAssignment.maximumURLLength, to: &writer)
        if certificateAuthorityPEM == "" {
            throw CodecError(code: .invalidValue, offset: writer.count, message: "CA certificate is empty (use nil)")
        }
        let certificate = Array((certificateAuthorityPEM ?? "").utf8)
        guard certificate.count <= ProvisioningAssignment.maximumCertificateLength else {
            throw CodecError(
                code: .lengthTooLarge, offset: writer.count,
                message: "CA certificate is \(certificate.count) bytes; at most "
                    + "\(ProvisioningAssignment.maximumCertificateLength) allowed")
        }
        writer.writeLengthPrefixed32(certificate)
        try WireText.checkTopic(publishTopic, field: "publish topic", prefix: .linkDirection, offset: writer.count)
        try WireText.write(publishTopic, field: "publish topic", maximum: Grant.maximumTopicLength, to: &writer)
        try WireText.checkTopic(subscribeTopic, field: "subscribe topic", prefix: .linkDirection, offset: writer.count)
        guard subscribeTopic != publishTopic else {
            throw CodecError(code: .invalidValue, offset: writer.count, message: "subscribe topic equals publish topic")
        }
        try WireText.write(subscribeTopic, field: "subscribe topic", maximum: Grant.maximumTopicLength, to: &writer)
        for (field, value) in [("username", username), ("client id", clientID)] {
            guard Grant.isValidIdentifier(value.utf8) else {
                throw CodecError(
                    code: .invalidValue, offset: writer.count,
                    message: "\(field) must be 1...\(Grant.maximumIdentifierLength) bytes of [A-Za-z0-9._-]")
            }
            try WireText.write(value, field: field, maximum: Grant.maximumIdentifierLength, to: &writer)
        }
        writer.writeBytes(preSharedKey.bytes)
        try LinkRoute.writeList(routes, to: &writer)
    }

    init(from reader: inout ByteReader) throws(CodecError) {
        linkID = try OpaqueID(from: &reader)
        side = try Self.readSide(from: &reader)
        comsatURL = try WireText.readNonEmpty(
            from: &reader, field: "ComSat URL", maximum: ProvisioningAssignment.maximumURLLength)
        let certificateOffset = reader.offset
        let certificate = try reader.readLengthPrefixed32(maximum: ProvisioningAssignment.maximumCertificateLength)
        if certificate.isEmpty {
            certificateAuthorityPEM = nil
        } else {
            guard let text = String(validating: certificate, as: UTF8.self) else {
                throw CodecError(
                    code: .invalidValue, offset: certificateOffset, message: "CA certificate is not valid UTF-8")
            }
            certificateAuthorityPEM = text
        }
        publishTopic = try WireText.readTopic(from: &reader, field: "publish topic", prefix: .linkDirection)
        let subscribeOffset = reader.offset
        subscribeTopic = try WireText.readTopic(from: &reader, field: "subscribe topic", prefix: .linkDirection)
        guard subscribeTopic != publishTopic else {
            throw CodecError(
                code: .invalidValue, offset: subscribeOffset, message: "subscribe topic equals publish topic")
        }
        username = try Self.readIdentifier(from: &reader, field: "username")
        clientID = try Self.readIdentifier(from: &reader, field: "client id")
        let keyOffset = reader.offset
        guard let key = Secret(bytes: try reader.readBytes(count: Secret.byteCount)) else {
            throw CodecError(code: .invalidValue, offset: keyOffset, message: "pre-shared key has the wrong size")
        }
        preSharedKey = key
        routes = try LinkRoute.readList(from: &reader)
    }

    static func readSide(from reader: inout ByteReader) throws(CodecError) -> Grant.LinkSide {
        let offset = reader.offset
        let raw = try reader.readUInt8()
        guard let side = Grant.LinkSide(rawValue: raw) else {
            throw CodecError(code: .invalidValue, offset: offset, message: "unknown link side \(raw)")
        }
        return side
    }

    private static func readIdentifier(from reader: inout ByteReader, field: String) throws(CodecError) -> String {
        let offset = reader.offset
        let value = try WireText.read(from: &reader, field: field, maximum: Grant.maximumIdentifierLength)
        guard Grant.isValidIdentifier(value.utf8) else {
            throw CodecError(
                code: .invalidValue, offset: offset,
                message: "\(field) must be 1...\(Grant.maximumIdentifierLength) bytes of [A-Za-z0-9._-]")
        }
        return value
    }
}

extension LinkHalfAssignment: CustomStringConvertible {
    /// Leaves out the pre-shared key (`Secret` redacts itself too) and the certificate.
    public var description: String {
        "LinkHalfAssignment(link: \(linkID), side: \(side), comsat: \(comsatURL), publish: \(publishTopic), "
            + "subscribe: \(subscribeTopic), username: \(username), routes: \(routes.count))"
    }
}

extension LinkHalfAssignment {
    /// Hashes everything but the pre-shared key: `Secret` is deliberately not `Hashable`, and
    /// leaving a field out keeps equal values hashing equally.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(linkID)
        hasher.combine(side)
        hasher.combine(comsatURL)
        hasher.combine(certificateAuthorityPEM)
        hasher.combine(publishTopic)
        hasher.combine(subscribeTopic)
        hasher.combine(username)
        hasher.combine(clientID)
        hasher.combine(routes)
    }
}
