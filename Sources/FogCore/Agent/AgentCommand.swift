/// What the controller tells an agent to do.
///
/// Every command is declarative and idempotent (deploy replaces a spec of the same name,
/// removing something absent succeeds), so an agent that applies one twice after a crash
/// ends in the same state.
///
/// Layout: `u8` tag, then the payload:
///
/// | tag | command | payload |
/// |---:|---|---|
/// | 1 | `deployMicroservice` | `MicroserviceSpec` |
/// | 2 | `removeMicroservice` | 2+n name |
/// | 3 | `assignLinkHalf` | `LinkHalfAssignment` |
/// | 4 | `stopAndWipeLinkHalf` | 16 link id, 1 side |
/// | 5 | `ping` | nothing |
/// | 6 | `setLinkRoutes` | 16 link id, 1 side, 2 route count (0...64), each a `LinkRoute` |
public enum AgentCommand: Sendable, Hashable {
    case deployMicroservice(MicroserviceSpec)
    case removeMicroservice(name: String)
    case assignLinkHalf(LinkHalfAssignment)
    /// Stop the half and delete everything of it (queue, keys, secret). The side is named
    /// because one agent may run both halves of a link between two of its own microservices.
    case stopAndWipeLinkHalf(linkID: OpaqueID, side: Grant.LinkSide)
    /// Does nothing but get acknowledged: a liveness probe and a way to learn the agent's
    /// last applied sequence number.
    case ping
    /// Replaces the routes of a half the agent already runs (a route was added to or removed
    /// from an existing link). Carries no key: the pre-shared key went only with
    /// `assignLinkHalf`, and the controller no longer holds it.
    case setLinkRoutes(linkID: OpaqueID, side: Grant.LinkSide, routes: [LinkRoute])

    func write(to writer: inout ByteWriter) throws(CodecError) {
        switch self {
        case .deployMicroservice(let spec):
            writer.writeUInt8(1)
            try spec.write(to: &writer)
        case .removeMicroservice(let name):
            writer.writeUInt8(2)
            try MicroserviceSpec.writeName(name, to: &writer)
        case .assignLinkHalf(let assignment):
            writer.writeUInt8(3)
            try assignment.write(to: &writer)
        case .stopAndWipeLinkHalf(let linkID, let side):
            writer.writeUInt8(4)
            linkID.write(to: &writer)
            writer.writeUInt8(side.rawValue)
        case .ping:
            writer.writeUInt8(5)
        case .setLinkRoutes(let linkID, let side, let routes):
            writer.writeUInt8(6)
            linkID.write(to: &writer)
            writer.writeUInt8(side.rawValue)
            try LinkRoute.writeList(routes, to: &writer)
        }
    }

    init(from reader: inout ByteReader) throws(CodecError) {
        let tagOffset = reader.offset
        switch try reader.readUInt8() {
        case 1: self = .deployMicroservice(try MicroserviceSpec(from: &reader))
        case 2: self = .removeMicroservice(name: try MicroserviceSpec.readName(from: &reader))
        case 3: self = .assignLinkHalf(try LinkHalfAssignment(from: &reader))
        case 4:
            let linkID = try OpaqueID(from: &reader)
            self = .stopAndWipeLinkHalf(linkID: linkID, side: try LinkHalfAssignment.readSide(from: &reader))
        case 5: self = .ping
        case 6:
            let linkID = try OpaqueID(from: &reader)
            let side = try LinkHalfAssignment.readSide(from: &reader)
            self = .setLinkRoutes(linkID: linkID, side: side, routes: try LinkRoute.readList(from: &reader))
        case let tag:
            throw CodecError(code: .invalidValue, offset: tagOffset, message: "unknown agent command tag \(tag)")
        }
    }
}

extension AgentCommand: CustomStringConvertible {
    /// Names the command and its subject, never a pre-shared key or configuration bytes.
    public var description: String {
        switch self {
        case .deployMicroservice(let spec): "deployMicroservice(\(spec.name))"
        case .removeMicroservice(let name): "removeMicroservice(\(name))"
        case .assignLinkHalf(let assignment): "assignLinkHalf(\(LogAlias.of(assignment.linkID)), side \(assignment.side))"
        case .stopAndWipeLinkHalf(let linkID, let side): "stopAndWipeLinkHalf(\(LogAlias.of(linkID)), side \(side))"
        case .ping: "ping"
        case .setLinkRoutes(let linkID, let side, let routes): "setLinkRoutes(\(LogAlias.of(linkID)), side \(side), \(routes.count) routes)"
        }
    }
}
