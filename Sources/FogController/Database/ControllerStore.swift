public import FogCore
public import Foundation

/// The controller's state operations, independent of the database behind them.
///
/// `ControllerDatabase` implements it over SQLite (GRDB); a PostgreSQL backend implements
/// the same contract. Contract for every implementation:
/// - each method is one transaction;
/// - nothing it stores is a secret, PSK or private key (only hashes and public keys);
/// - a delete leaves no row mentioning the deleted link or agent, and after it returns the
///   backend's files no longer contain its ids, topics or hashes (for SQLite: secure
///   delete plus a WAL checkpoint, see `ControllerDatabase`);
/// - failures are `ControllerError` (`.notFound`, `.nameTaken`, `.databaseFailed`).
public protocol ControllerStore: Sendable {
    // MARK: ComSats
    func insertComSat(_ comsat: ComSatRecord) async throws(ControllerError)
    func comsat(id: OpaqueID) async throws(ControllerError) -> ComSatRecord?
    func comsat(named name: String) async throws(ControllerError) -> ComSatRecord?
    func comsats() async throws(ControllerError) -> [ComSatRecord]
    /// Pins the key that signs the ComSat's responses. Pinning the same key again is a
    /// no-op; a different key is `.comsatKeyMismatch` (re-pinning needs a deliberate
    /// operator action, not a silent overwrite).
    func pinResponseKey(_ key: SigningPublicKey, comsatID: OpaqueID) async throws(ControllerError)
    /// Remembers the digest the ComSat confirmed at the last sync.
    func recordGrantDigest(_ digest: GrantSetDigest, comsatID: OpaqueID) async throws(ControllerError)
    func setHealth(_ health: ComSatRecord.Health, comsatID: OpaqueID, at date: Date) async throws(ControllerError)
    /// Every grant the ComSat should hold according to this store: its agents, its unused
    /// and unexpired provisioning keys, and the link halves on it that reported a hash.
    func grants(comsatID: OpaqueID, now: Date) async throws(ControllerError) -> [Grant]

    // MARK: Agents
    func insertAgent(_ agent: AgentRecord) async throws(ControllerError)
    func agent(id: OpaqueID) async throws(ControllerError) -> AgentRecord?
    /// Every agent, ordered by name.
    func agents() async throws(ControllerError) -> [AgentRecord]
    /// Deletes the agent, its microservices and commands, and every link it has a half
    /// of (both halves). Returns the principals to revoke; `.notFound` if no such agent.
    func deleteAgent(id: OpaqueID) async throws(ControllerError) -> [RevokedPrincipal]

    // MARK: Provisioning keys
    func insertProvisioningKey(_ key: ProvisioningKeyRecord) async throws(ControllerError)
    func provisioningKey(id: OpaqueID) async throws(ControllerError) -> ProvisioningKeyRecord?
    /// Marks the key used if it is unused and unexpired at `now`, atomically: of concurrent
    /// callers exactly one gets the record, the others nil.
    func consumeProvisioningKey(id: OpaqueID, now: Date) async throws(ControllerError) -> ProvisioningKeyRecord?
    /// Returns the key holder's principal to revoke, nil if there was no such key.
    func deleteProvisioningKey(id: OpaqueID) async throws(ControllerError) -> RevokedPrincipal?

    // MARK: Microservices
    func insertMicroservice(_ microservice: MicroserviceRecord) async throws(ControllerError)
    func microservices(agentID: OpaqueID) async throws(ControllerError) -> [MicroserviceRecord]
    /// True if a microservice was deleted.
    func deleteMicroservice(agentID: OpaqueID, name: String) async throws(ControllerError) -> Bool

    // MARK: Links
    func insertLink(_ link: LinkRecord, halves: [LinkHalfRecord]) async throws(ControllerError)
    func link(id: OpaqueID) async throws(ControllerError) -> LinkRecord?
    func links(comsatID: OpaqueID) async throws(ControllerError) -> [LinkRecord]
    func linkHalves(linkID: OpaqueID) async throws(ControllerError) -> [LinkHalfRecord]
    /// Records the hash a half reported; returns the updated half.
    func reportSecretHash(
        _ hash: SecretHash, linkID: OpaqueID, side: LinkHalfRecord.Side
    ) async throws(ControllerError) -> LinkHalfRecord
    func setLinkState(_ state: LinkRecord.State, linkID: OpaqueID) async throws(ControllerError)
    /// Deletes the link and both halves; returns the halves' principals to revoke.
    func deleteLink(id: OpaqueID) async throws(ControllerError) -> [RevokedPrincipal]

    // MARK: Agent command outbox
    /// Allocates the agent's next sequence number, seals the command with it (`seal` gets
    /// the number) and stores the sealed bytes, in one transaction.
    func enqueueCommand(
        agentID: OpaqueID, seal: @escaping @Sendable (Int64) throws(ControllerError) -> [UInt8]
    ) async throws(ControllerError) -> AgentCommandRecord
    /// Unacknowledged commands in sequence order.
    func pendingCommands(agentID: OpaqueID) async throws(ControllerError) -> [AgentCommandRecord]
    /// Acknowledges every command up to `sequence` (cumulative) and drops them from the
    /// outbox; returns how many were newly acknowledged.
    func acknowledgeCommands(agentID: OpaqueID, through sequence: Int64) async throws(ControllerError) -> Int
    /// Agents with at least one unacknowledged command, the one waiting longest first.
    func agentsWithPendingCommands() async throws(ControllerError) -> [AgentRecord]
    /// The agent publishing on `r/<replyTopicID>`, nil if none.
    func agent(replyTopicID: OpaqueID) async throws(ControllerError) -> AgentRecord?
    /// Records the agent's presence and when it changed; true if it changed (the same
    /// presence again writes nothing). `.notFound` if no such agent.
    @discardableResult
    func setPresence(
        _ presence: AgentRecord.Presence, agentID: OpaqueID, at date: Date
    ) async throws(ControllerError) -> Bool

    // MARK: Routes, link placement and decommission (see ControllerDatabase+Links.swift)
    func agent(named name: String) async throws(ControllerError) -> AgentRecord?
    func microservice(agentID: OpaqueID, name: String) async throws(ControllerError) -> MicroserviceRecord?
    /// Every microservice of every agent, by agent id and name.
    func allMicroservices() async throws(ControllerError) -> [MicroserviceRecord]
    /// Inserts the microservice, or replaces the spec of the agent's microservice of the same
    /// name (keeping its id and creation date). Returns true when it replaced one.
    func saveMicroservice(_ microservice: MicroserviceRecord) async throws(ControllerError) -> Bool
    /// The link whose halves run on `a` and `b`, in either order (`a == b` finds a link
    /// both of whose halves run on that agent).
    func link(between a: OpaqueID, and b: OpaqueID) async throws(ControllerError) -> LinkRecord?
    /// Every link, by creation date.
    func allLinks() async throws(ControllerError) -> [LinkRecord]
    /// Links per ComSat id; ComSats without links are absent.
    func linkCounts() async throws(ControllerError) -> [OpaqueID: Int]
    /// Links of which `agentID` runs at least one half.
    func links(agentID: OpaqueID) async throws(ControllerError) -> [LinkRecord]
    /// The link's routes by channel.
    func routes(linkID: OpaqueID) async throws(ControllerError) -> [RouteRecord]
    /// Every route, by creation date.
    func allRoutes() async throws(ControllerError) -> [RouteRecord]
    /// Routes from or to the agent's microservice `name`.
    func routes(agentID: OpaqueID, microservice name: String) async throws(ControllerError) -> [RouteRecord]
    /// Adds the route on the link between its agents, in one transaction: the existing link
    /// if there is one, else `newLink` with `newHalves` (so concurrent callers never create
    /// two links for one pair). The route gets the link's lowest free channel.
    /// - Throws: `.notFound` (agent or microservice), `.nameTaken` (route exists),
    ///   `.invalidRequest` (the link carries `LinkRoute.maximumCount` routes).
    func insertRoute(
        _ endpoints: RouteEndpoints, newLink: LinkRecord, newHalves: [LinkHalfRecord]
    ) async throws(ControllerError) -> RouteInsertion
    /// Deletes the route; when it was its link's last, deletes the link too and scrubs the
    /// WAL. Throws `.notFound`.
    func deleteRoute(_ endpoints: RouteEndpoints) async throws(ControllerError) -> RouteRemoval
    /// Deletes the link with its halves and routes, and scrubs the WAL. Throws `.notFound`.
    func decommissionLink(id: OpaqueID) async throws(ControllerError) -> LinkRemoval
    /// Deletes the agent with its microservices, outbox and every link it has a half of, and
    /// scrubs the WAL. Throws `.notFound`.
    func decommissionAgent(id: OpaqueID) async throws(ControllerError) -> AgentRemoval
}
