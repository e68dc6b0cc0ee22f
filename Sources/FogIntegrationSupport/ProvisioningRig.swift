public import FogAgent
public import FogController
public import FogCore
import FogMQTT
import FogTestSupport
public import Foundation
import Testing

/// A ComSat with the real plugin (`ComSatFixture`), the controller's fleet connected to it,
/// a key issuer and (unless disabled) a running `ProvisioningService`, all in-process.
public struct ProvisioningRig {
    public let fixture: ComSatFixture
    public let fleet: ComSatFleet
    public let session: ComSatSession
    public let issuer: ProvisioningKeyIssuer

    public var comsatURL: String { fixture.comsat.url }
    public var caFile: String? { fixture.tls?.caFile }

    /// A state directory path for agent `name` inside the fixture's temporary directory.
    public func stateDirectory(_ name: String) -> String { fixture.directory.path + "/agent-" + name }

    public func provisioner(
        _ name: String,
        configuration: AgentProvisioningConfiguration = AgentProvisioningConfiguration(
            attemptTimeout: .milliseconds(500), attempts: 16, connectTimeout: .seconds(5))
    ) -> AgentProvisioner {
        AgentProvisioner(stateDirectory: stateDirectory(name), configuration: configuration, logger: ComSatFixture.logger)
    }

    public func provision(_ name: String, token: String) async -> Result<AgentState, AgentProvisioningError> {
        await Self.attempt(provisioner(name), token: token, url: comsatURL, caFile: caFile)
    }

    public static func attempt(
        _ provisioner: AgentProvisioner, token: String, url: String, caFile: String?
    ) async -> Result<AgentState, AgentProvisioningError> {
        do {
            return .success(try await provisioner.provision(token: token, comsatURL: url, caFile: caFile))
        } catch {
            return .failure(error)
        }
    }

    public func issue(_ agentName: String = "edge-1", lifetime: Duration = .seconds(300)) async throws -> ProvisioningKey {
        try await issuer.issue(agentName: agentName, comsatID: fixture.comsat.id, lifetime: lifetime)
    }

    /// True while the key holder's credentials are accepted by the ComSat.
    public func keyCredentialsWork(_ key: ProvisioningKey) async -> Bool {
        await fixture.connectionResult(clientID: key.username, username: key.username, password: key.secret.text) == nil
    }

    /// Runs `body`; the service (if started), the fleet and the broker are stopped afterwards.
    public static func run(
        tls: Bool = false, startService: Bool = true,
        service configuration: ProvisioningServiceConfiguration = .init(acceptanceGrace: .milliseconds(300)),
        controllerClock: @escaping @Sendable () -> Date = { Date() },
        _ body: (ProvisioningRig) async throws -> Void
    ) async throws {
        try await ComSatFixture.run(tls: tls) { fixture in
            let fleet = ComSatFleet(
                home: fixture.home, store: fixture.database,
                configuration: ComSatSessionConfiguration(responseTimeout: .seconds(10)), logger: ComSatFixture.logger)
            let failures = try await fleet.connectAll()
            #expect(failures.isEmpty)
            let session = try #require(await fleet.session(for: fixture.comsat.id))
            let issuer = ProvisioningKeyIssuer(
                home: fixture.home, store: fixture.database, fleet: fleet, logger: ComSatFixture.logger)
            let rig = ProvisioningRig(fixture: fixture, fleet: fleet, session: session, issuer: issuer)
            var runner: Task<Void, Never>?
            var service: ProvisioningService?
            if startService {
                let started = ProvisioningService(
                    home: fixture.home, store: fixture.database, fleet: fleet, configuration: configuration,
                    logger: ComSatFixture.logger, now: controllerClock)
                try await started.attach(session)
                runner = Task { await started.run() }
                service = started
            }
            func stop() async {
                await service?.finish()
                runner?.cancel()
                await runner?.value
                await fleet.shutdown()
            }
            do {
                try await body(rig)
            } catch {
                await stop()
                throw error
            }
            await stop()
        }
    }
}

/// The permission bits of `path`.
public func fileMode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require(attributes[.posixPermissions] as? Int)
}
