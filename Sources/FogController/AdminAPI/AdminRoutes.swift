internal import FogCore
internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import Logging

/// The admin API's routes. Every change writes one audit line (ids and names only).
///
/// | route | does |
/// |---|---|
/// | `GET /v1/status` | `ControllerStatus` |
/// | `GET /v1/comsats` | `ComSatList` |
/// | `POST /v1/comsats` | enrols (`ComSatEnrolmentRequest` → 201 `ComSatEnrolmentResult`) |
/// | `POST /v1/comsats/{name}/key` | pins the ComSat's response key (`ComSatKeyPin` → `ComSatSummary`) |
/// | `GET /v1/agents` | `AgentList` |
/// | `POST /v1/agents` | issues a provisioning key (`AgentProvisioningRequest` → 201 `AgentProvisioningResult`) |
/// | `GET /metrics` | Prometheus text exposition |
///
/// Microservices, routes, links and removals: `AdminRoutes+Links.swift`.
struct AdminRoutes: Sendable {
    let environment: AdminAPIEnvironment

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/status") { _, _ in try await status() }
        router.get("/v1/comsats") { _, _ in try await comsats() }
        router.post("/v1/comsats") { request, context in try await enrol(request, context: context) }
        router.post("/v1/comsats/{name}/key") { request, context in try await pinKey(request, context: context) }
        router.get("/v1/agents") { _, _ in try await agents() }
        router.post("/v1/agents") { request, context in try await addAgent(request, context: context) }
        router.get("/metrics") { _, _ in metrics() }
        registerLinks(on: router)
    }

    /// Longest provisioning key lifetime accepted: a key is meant to be used the same day.
    static let maximumKeyLifetimeSeconds = 7 * 24 * 3_600

    private func status() async throws -> Response {
        let records = try await environment.store.comsats()
        var connected = 0
        for record in records where await isConnected(record.id) { connected += 1 }
        let counts = ControllerStatus.ComSatCounts(
            total: records.count, connected: connected, healthy: records.count { $0.health == .healthy },
            unreachable: records.count { $0.health == .unreachable }, unknown: records.count { $0.health == .unknown })
        let home = environment.home
        return try Self.json(
            ControllerStatus(
                controllerID: home.controllerID.description, signingPublicKey: home.signingKey.publicKey.description,
                agreementPublicKey: home.agreementKey.publicKey.description, version: environment.version,
                startedAt: environment.startedAt, comsats: counts))
    }

    private func comsats() async throws -> Response {
        var summaries: [ComSatSummary] = []
        for record in try await environment.store.comsats().sorted(by: { $0.name < $1.name }) {
            summaries.append(ComSatSummary(record, connected: await isConnected(record.id)))
        }
        return try Self.json(ComSatList(comsats: summaries))
    }

    private func enrol(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await request.decode(as: ComSatEnrolmentRequest.self, context: context)
        let defaults = ComSatEnrolment(name: body.name, url: body.url)
        let enrolment = ComSatEnrolment(
            name: body.name, url: body.url, caFile: body.caFile, responseKey: try body.responseKey.map(Self.responseKey),
            grantStorePath: body.grantStorePath ?? defaults.grantStorePath,
            identityKeyPath: body.identityKeyPath ?? defaults.identityKeyPath)
        let (record, bundle) = try await enrolment.enrol(home: environment.home, store: environment.store, logger: context.logger)
        context.logger.notice(
            "audit: ComSat enrolled",
            metadata: ["fog.comsat.id": "\(record.id)", "fog.comsat.name": "\(record.name)", "fog.admin.action": "comsat.add"])
        let result = ComSatEnrolmentResult(
            comsat: ComSatSummary(record, connected: false),
            pluginOptions: bundle.pluginOptions.map { ComSatEnrolmentResult.PluginOption(name: $0.0, value: $0.1) },
            configurationLines: bundle.configurationLines)
        if record.responseKey != nil { environment.comsatKeyPinned() }
        return try Self.json(result, status: .created)
    }

    private func pinKey(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let body = try await request.decode(as: ComSatKeyPin.self, context: context)
        let key = try Self.responseKey(body.responseKey)
        guard let record = try await environment.store.comsat(named: name) else {
            throw ControllerError(.notFound, "no ComSat is named '\(name)'")
        }
        try await environment.store.pinResponseKey(key, comsatID: record.id)
        context.logger.notice(
            "audit: ComSat key pinned",
            metadata: [
                "fog.comsat.id": "\(record.id)", "fog.comsat.name": "\(record.name)", "fog.comsat.key": "\(key)",
                "fog.admin.action": "comsat.pin",
            ])
        environment.comsatKeyPinned()
        let pinned = try await environment.store.comsat(id: record.id) ?? record
        return try Self.json(ComSatSummary(pinned, connected: await isConnected(record.id)))
    }

    private func agents() async throws -> Response {
        let names = Dictionary(uniqueKeysWithValues: try await environment.store.comsats().map { ($0.id, $0.name) })
        let agents = try await environment.store.agents().map { AgentSummary($0, comsatName: names[$0.homeComSatID]) }
        return try Self.json(AgentList(agents: agents))
    }

    private func addAgent(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await request.decode(as: AgentProvisioningRequest.self, context: context)
        try ProvisioningKeyIssuer.checkName(body.name)
        let lifetime = body.lifetimeSeconds ?? Int(ProvisioningKeyIssuer.defaultLifetime.components.seconds)
        guard (1...Self.maximumKeyLifetimeSeconds).contains(lifetime) else {
            throw AdminAPIError.badRequest(
                "a provisioning key lifetime of \(lifetime) s is outside 1...\(Self.maximumKeyLifetimeSeconds) s",
                hint: "give the lifetime in whole seconds (fogctl: --lifetime MINUTES), at most 7 days")
        }
        let comsat = try await homeComSat(named: body.comsat)
        guard let fleet = environment.fleet, await isConnected(comsat.id) else {
            throw AdminAPIError(
                .serviceUnavailable, code: ControllerError.Code.comsatUnreachable.description,
                message: "the controller has no live session to ComSat '\(comsat.name)' (\(comsat.id))",
                hint: comsat.responseKey == nil
                    ? "pin the ComSat's key with `fogctl comsat pin`, then retry once `fogctl comsat ls` shows it connected"
                    : "check that the ComSat runs and is reachable; retry once `fogctl comsat ls` shows it connected")
        }
        let issuer = ProvisioningKeyIssuer(home: environment.home, store: environment.store, fleet: fleet, logger: context.logger)
        let key = try await issuer.issue(agentName: body.name, comsatID: comsat.id, lifetime: .seconds(lifetime))
        context.logger.notice(
            "audit: agent provisioning key issued",
            metadata: [
                "fog.provisioning_key.id": "\(key.id)", "fog.agent.name": "\(body.name)", "fog.comsat.id": "\(comsat.id)",
                "fog.admin.action": "agent.add",
            ])
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(key.expiry.millisecondsSinceEpoch / 1_000))
        return try Self.json(
            AgentProvisioningResult(
                name: body.name, token: key.token, keyID: key.id.description, expiresAt: expiresAt,
                comsat: ComSatSummary(comsat, connected: true)),
            status: .created)
    }

    /// The ComSat named `name`, or the only one enrolled when `name` is nil.
    private func homeComSat(named name: String?) async throws -> ComSatRecord {
        if let name {
            guard let record = try await environment.store.comsat(named: name) else {
                throw ControllerError(.notFound, "no ComSat is named '\(name)'")
            }
            return record
        }
        let all = try await environment.store.comsats()
        guard all.count == 1, let only = all.first else {
            if all.isEmpty {
                throw AdminAPIError(
                    .notFound, code: ControllerError.Code.notFound.description, message: "no ComSat is enrolled",
                    hint: "enrol one with `fogctl comsat add`, then pin its key with `fogctl comsat pin`")
            }
            throw AdminAPIError.badRequest(
                "\(all.count) ComSats are enrolled; name the agent's home ComSat",
                hint: "pass comsat (fogctl: --comsat NAME), one of: \(all.map(\.name).joined(separator: ", "))")
        }
        return only
    }

    private func metrics() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: environment.registry.emitToBuffer())))
    }

    private func isConnected(_ comsatID: OpaqueID) async -> Bool {
        guard let session = await environment.fleet?.session(for: comsatID) else { return false }
        return await session.isConnected
    }

    private static func responseKey(_ text: String) throws -> SigningPublicKey {
        do {
            return try SigningPublicKey(text: text.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw AdminAPIError.badRequest(
                "the response key is not an Ed25519 public key in text form",
                hint: "copy it from the ComSat's identity.key.pub")
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
