/// A link half's MQTT secret, reported as its hash so the controller can install the half's
/// grant on the ComSat. The secret itself never leaves the node.
///
/// Layout: 16 link id, 1 side, 32 SHA-256 of the secret's text.
public struct LinkSecretReport: Sendable, Hashable {
    public var linkID: OpaqueID
    public var side: Grant.LinkSide
    public var secretHash: SecretHash

    public init(linkID: OpaqueID, side: Grant.LinkSide, secretHash: SecretHash) {
        self.linkID = linkID
        self.side = side
        self.secretHash = secretHash
    }

    func write(to writer: inout ByteWriter) {
        linkID.write(to: &writer)
        writer.writeUInt8(side.rawValue)
        secretHash.write(to: &writer)
    }

    init(from reader: inout ByteReader) throws(CodecError) {
        linkID = try OpaqueID(from: &reader)
        side = try LinkHalfAssignment.readSide(from: &reader)
        secretHash = try SecretHash(from: &reader)
    }
}
